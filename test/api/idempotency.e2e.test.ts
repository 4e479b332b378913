import t from 'tap';
import { createOtherTeam, startTestBosun } from './harness.js';

t.test('Idempotency-Key on POST', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const body = { kind: 'echo', input: { n: 1 } };

  t.test('the same key and body replays the first answer and appends nothing', async (t) => {
    const first = await app.call('POST', '/api/v1/tasks', { body, headers: { 'idempotency-key': 'k-1' } });
    const head = await app.bosun.events.headPosition();
    const second = await app.call('POST', '/api/v1/tasks', { body, headers: { 'idempotency-key': 'k-1' } });
    t.equal(first.status, 202);
    t.equal(second.status, 202);
    t.same(second.body, first.body);
    t.equal(second.headers.get('idempotency-replayed'), 'true');
    t.equal(first.headers.get('idempotency-replayed'), null);
    t.equal(await app.bosun.events.headPosition(), head);
  });

  t.test('the same JSON with its keys in another order is the same request', async (t) => {
    const first = await app.call('POST', '/api/v1/tasks', {
      rawBody: '{"kind":"echo","input":{"a":1,"b":[1,{"x":1,"y":2}]}}',
      headers: { 'idempotency-key': 'k-order', 'content-type': 'application/json' },
    });
    const reordered = await app.call('POST', '/api/v1/tasks', {
      rawBody: '{ "input": {"b":[1,{"y":2,"x":1}],"a":1}, "kind":"echo" }',
      headers: { 'idempotency-key': 'k-order', 'content-type': 'application/json' },
    });
    t.equal(reordered.status, 202);
    t.equal(reordered.headers.get('idempotency-replayed'), 'true');
    t.equal(reordered.body.id, first.body.id);
  });

  t.test('the same key with another body is a conflict', async (t) => {
    await app.call('POST', '/api/v1/tasks', { body, headers: { 'idempotency-key': 'k-2' } });
    const other = await app.call('POST', '/api/v1/tasks', { body: { ...body, input: { n: 2 } }, headers: { 'idempotency-key': 'k-2' } });
    t.equal(other.status, 409);
    t.equal(other.body.error.code, 'idempotency_key_reused');
  });

  t.test('concurrent requests with one key create one task', async (t) => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => app.call('POST', '/api/v1/tasks', { body, headers: { 'idempotency-key': 'k-3' } })));
    t.same(new Set(answers.map((a) => a.body.id)).size, 1);
    t.equal(answers.filter((a) => a.headers.get('idempotency-replayed') === 'true').length, 9);
  });

  t.test('a replayed cancel answers as the first did, not with the later state', async (t) => {
    const task = await app.call('POST', '/api/v1/tasks', { body });
    const first = await app.call('POST', `/api/v1/tasks/${task.body.id}/cancel`, { body: {}, headers: { 'idempotency-key': 'c-1' } });
    const replay = await app.call('POST', `/api/v1/tasks/${task.body.id}/cancel`, { body: {}, headers: { 'idempotency-key': 'c-1' } });
    t.equal(first.status, 200);
    t.equal(replay.status, 200);
    t.same(replay.body, first.body);
  });

  t.test("keys are scoped to the caller: another team's same key is a new request", async (t) => {
    const otherKey = await createOtherTeam(app, 'idempotency-other');
    const mine = await app.call('POST', '/api/v1/tasks', { body, headers: { 'idempotency-key': 'shared' } });
    const theirs = await app.call('POST', '/api/v1/tasks', { body, key: otherKey, headers: { 'idempotency-key': 'shared' } });
    t.not(theirs.body.id, mine.body.id);
    t.equal(theirs.headers.get('idempotency-replayed'), null);
  });

  t.test('an invalid key is refused', async (t) => {
    const answer = await app.call('POST', '/api/v1/tasks', { body, headers: { 'idempotency-key': 'x'.repeat(256) } });
    t.equal(answer.status, 400);
    t.equal(answer.body.error.param, 'Idempotency-Key');
  });
  t.test('the first answer is replayed after a restart', async (t) => {
    const first = await app.call('POST', '/api/v1/tasks', { body, headers: { 'idempotency-key': 'k-restart' } });
    await app.bosun.close();
    const again = await startTestBosun({}, app.dataDir);
    t.teardown(again.stop);
    const replay = await again.call('POST', '/api/v1/tasks', { body, headers: { 'idempotency-key': 'k-restart' } });
    t.equal(replay.headers.get('idempotency-replayed'), 'true');
    t.same(replay.body, first.body);
  });
});
