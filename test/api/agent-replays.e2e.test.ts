import t from 'tap';
import { driftDriver } from './drift-driver.js';
import { startTestBosun } from './harness.js';
import { taskDriver } from './task-driver.js';

t.test("an agent's keyed report, sent again, is answered as the first was", async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const agent = await driftDriver(app).enrol(undefined, 'reporting');
  const tasks = taskDriver(app);
  const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } });
  await tasks.execute(submitted.body.id, { type: 'QueueTask', instanceId: agent.instanceId, ackDeadline: new Date(Date.now() + 60_000).toISOString() });
  await tasks.execute(submitted.body.id, { type: 'StartTask', instanceId: agent.instanceId });

  const report = { error: { code: 'flaky', message: 'the network dropped' }, retryable: true };
  const first = await agent.call('POST', `/tasks/${submitted.body.id}/fail`, report, { 'idempotency-key': 'fail-1' });
  t.match(first, { status: 200, body: { object: 'agent_task_result', status: 'waiting', will_retry: true } });
  // Meanwhile the task moves on: the replay still says what the failure left.
  await tasks.execute(submitted.body.id, { type: 'CancelTask', reason: 'enough' });
  const again = await agent.call('POST', `/tasks/${submitted.body.id}/fail`, report, { 'idempotency-key': 'fail-1' });
  t.equal(again.headers.get('idempotency-replayed'), 'true');
  t.same(again.body, first.body);
});
