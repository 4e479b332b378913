import t from 'tap';
import { startTestBosun } from './harness.js';

t.test('cancelling a task', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } });

  const cancelled = await app.call('POST', `/api/v1/tasks/${submitted.body.id}/cancel`, { body: { reason: 'not needed' } });
  t.equal(cancelled.status, 200);
  t.match(cancelled.body, { id: submitted.body.id, status: 'cancelled', cancel_reason: 'not needed', revision: 1 });
  t.ok(cancelled.body.finished_at);

  const again = await app.call('POST', `/api/v1/tasks/${submitted.body.id}/cancel`);
  t.equal(again.status, 409, 'a terminal task cannot be cancelled');
  t.equal(again.body.error.type, 'conflict_error');
  t.match(again.body.error.message, /cancelled/, 'the error names the current state');

  const read = await app.call('GET', `/api/v1/tasks/${submitted.body.id}`, { headers: { 'x-min-position': String(cancelled.body.position) } });
  t.equal(read.body.status, 'cancelled');
});
