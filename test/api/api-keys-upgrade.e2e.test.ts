import { rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { startTestBosun } from './harness.js';

t.test('a Bosun whose read store has no api_keys projection yet (keys were kept by access) builds it at start: its keys work', async (t) => {
  const first = await startTestBosun();
  const issued = await first.call('POST', '/api/v1/api-keys', { body: { name: 'kept', role: 'viewer' } });
  t.equal(issued.status, 201);
  await first.bosun.close();
  t.teardown(() => rmSync(first.dataDir, { recursive: true, force: true }));

  // As the read store of a version before the api_keys projection: neither its collections nor its checkpoint.
  const store = openEmbeddedReadStore({ file: join(first.dataDir, 'read-models.sqlite') });
  await store.drop(['api_key_records', 'api_key_secrets'], ['api_keys']);
  await store.close();

  const second = await startTestBosun({}, first.dataDir);
  t.teardown(second.stop);
  t.match(await second.call('GET', '/api/v1/me', { key: issued.body.key }), { status: 200, body: { api_key: { id: issued.body.id, name: 'kept' } } });
  t.equal((await second.call('GET', '/api/v1/me')).status, 200, 'and so does the admin key');
});
