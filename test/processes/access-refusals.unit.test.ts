import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import type { AccessRefusedData } from '../../domain/audit/index.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { AccessRefusals, type Refusal } from '../../processes/access-refusals.js';
import { testKeys } from '../commands/test-keys.js';

const logger = pino({ enabled: false });

const refusalsOn = (t: Test, maxSources?: number) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-refusals-'));
  const store = openEmbeddedEventStore({ directory });
  t.teardown(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  let id = 0;
  const keys = testKeys();
  const deps = { store, schemas: loadEventSchemas(), env: { now: () => new Date('2026-12-05T12:00:00.000Z'), newId: () => `window-${++id}` }, ...keys };
  const refusals = new AccessRefusals(deps, { systemTenant: async () => 'system-team', ...(maxSources !== undefined ? { maxSources } : {}) }, logger);
  const recorded = async (): Promise<RecordedEvent[]> => store.readAll({ maxCount: 100_000 });
  return { refusals, recorded, personal: keys.personal };
};

const badKey = (clientIp: string): Refusal => ({
  tenant: null,
  status: 401,
  reason: 'invalid_api_key',
  method: 'GET',
  route: '/api/v1/tasks',
  keyId: null,
  clientIp,
  userAgent: 'flood/1.0',
  requestId: `req-${clientIp}`,
});

t.test('given 5,000 bad keys from one address, when the window is recorded, then one event counts them all in the system team', async (t) => {
  const { refusals, recorded, personal } = refusalsOn(t);
  for (let n = 0; n < 5000; n++) refusals.record(badKey('203.0.113.9'));
  await refusals.flush();
  const events = await recorded();
  t.equal(events.length, 1);
  t.match(events[0], { type: 'audit.access_refused', tenant: 'system-team', stream: /^audit-/, metadata: { actor: { type: 'system', id: 'access-audit' } } });
  t.match(events[0]?.data, { client_ip: /^bosun:erasable:v1:system-team:/ }, 'where it came from is stored as erasable personal data');
  t.match(await personal.reveal(events[0]?.data, 'system-team'), {
    status: 401,
    reason: 'invalid_api_key',
    client_ip: '203.0.113.9',
    count: 5000,
    folded: false,
    first_request_id: 'req-203.0.113.9',
  });
});

t.test('given 5,000 addresses in one window, when it is recorded, then the first 100 are counted apart and the rest folded into one', async (t) => {
  const { refusals, recorded } = refusalsOn(t);
  for (let n = 0; n < 5000; n++) refusals.record(badKey(`198.51.${n >> 8}.${n & 255}`));
  await refusals.flush();
  const events = await recorded();
  t.equal(events.length, 101, 'bounded by the cap, whatever the number of sources');
  const data = events.map((event) => event.data as AccessRefusedData);
  t.equal(data.filter((entry) => !entry.folded).length, 100);
  t.match(
    data.find((entry) => entry.folded),
    { count: 4900, client_ip: null, route: null, method: null, key_id: null, user_agent: null },
  );
  t.equal(
    data.reduce((sum, entry) => sum + entry.count, 0),
    5000,
    'every refusal counted',
  );
});

t.test('given refusals of two teams and an empty window, when recorded, then each team gets a stream and nothing more is written', async (t) => {
  const { refusals, recorded } = refusalsOn(t, 10);
  refusals.record({ ...badKey('192.0.2.1'), tenant: 'team-a', status: 403, reason: 'insufficient_role', keyId: 'key-a', method: 'POST' });
  refusals.record({ ...badKey('192.0.2.2'), tenant: 'team-b', status: 404, reason: 'not_found', keyId: 'key-b', route: '/api/v1/tasks/:id' });
  await refusals.flush();
  await refusals.flush();
  const events = await recorded();
  t.same(
    events.map((event) => [event.tenant, (event.data as AccessRefusedData).status]),
    [
      ['team-a', 403],
      ['team-b', 404],
    ],
  );
  t.not(events[0]?.stream, events[1]?.stream, 'a stream per team');
  t.ok(
    events.every((event) => event.stream.startsWith('audit-') && event.revision === 0),
    'each a new stream',
  );
});
