import t from 'tap';
import { startTestBosun } from './harness.js';

t.test('concurrency control for clients: ETag on reads, If-Match on writes', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const deployed = await app.call('POST', '/api/v1/instances', { body: { name: 'edited-twice', provider: 'local', spec: { settings: { region: 'eu' } } } });
  const id = deployed.body.id as string;
  const read = async () => app.call('GET', `/api/v1/instances/${id}`, { headers: { 'x-min-position': String(deployed.body.position) } });

  t.test('given an instance, when it is read, then its ETag is its revision, and a read with that tag as If-None-Match is 304', async (t) => {
    const first = await read();
    t.equal(first.headers.get('etag'), `"${first.body.revision}"`);
    const again = await fetch(`${app.bosun.url}/api/v1/instances/${id}`, {
      headers: { authorization: `Bearer ${(await import('./harness.js')).adminKey}`, 'if-none-match': first.headers.get('etag') ?? '' },
    });
    t.equal(again.status, 304);
  });

  t.test('given two operators who read the same revision, when both write with If-Match, then the second gets 412 and nothing of it is stored', async (t) => {
    const seen = (await read()).headers.get('etag') as string;
    const first = await app.call('PATCH', `/api/v1/instances/${id}`, { body: { spec: { settings: { region: 'us' } } }, headers: { 'if-match': seen } });
    t.equal(first.status, 200);
    t.equal(first.headers.get('etag'), `"${first.body.revision}"`, 'the write answers the new tag');
    const head = await app.bosun.events.headPosition();
    const second = await app.call('PATCH', `/api/v1/instances/${id}`, { body: { spec: { settings: { region: 'ap' } } }, headers: { 'if-match': seen } });
    t.match(second, { status: 412, body: { error: { code: 'precondition_failed', param: 'If-Match', message: /at revision \d+, not \d+/ } } });
    t.equal(await app.bosun.events.headPosition(), head, 'nothing appended');
    const now = await app.call('GET', `/api/v1/instances/${id}`, { headers: { 'x-min-position': String(first.body.position) } });
    t.equal(now.body.spec.settings.region, 'us', "the first operator's edit stands");
  });

  t.test('given a task, when it is cancelled with a stale If-Match, then 412; with the current one, then it is cancelled', async (t) => {
    const task = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } });
    const stale = await app.call('POST', `/api/v1/tasks/${task.body.id}/cancel`, { body: {}, headers: { 'if-match': `"${task.body.revision + 5}"` } });
    t.equal(stale.status, 412);
    const current = await app.call('POST', `/api/v1/tasks/${task.body.id}/cancel`, { body: {}, headers: { 'if-match': `"${task.body.revision}"` } });
    t.match(current, { status: 200, body: { status: 'cancelled' } });
  });

  t.test('a malformed If-Match, or one on a route that takes none, is a 400 naming it', async (t) => {
    const malformed = await app.call('PATCH', `/api/v1/instances/${id}`, { body: { spec: {} }, headers: { 'if-match': 'W/"1"' } });
    t.match(malformed, { status: 400, body: { error: { param: 'If-Match' } } });
    const unsupported = await app.call('POST', '/api/v1/instances/bulk', { body: { action: 'suspend', instance_ids: [id] }, headers: { 'if-match': '"1"' } });
    t.match(unsupported, { status: 400, body: { error: { code: 'if_match_unsupported' } } });
  });
});
