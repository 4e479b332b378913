import t from 'tap';
import { agentPid, deployRunning, eventTypes, eventually, recordHistory, sharedTemporal, startFleet, submit, waitForStatus } from './fleet-harness.js';

const temporal = await sharedTemporal(t);

t.test('given a running local instance, when an echo task is submitted, then it runs there and completes with its outputs', async (t) => {
  const app = await startFleet(t, temporal);
  const instanceId = await deployRunning(app);
  const taskId = await submit(app, { kind: 'echo', input: { message: 'hello fleet' } });
  await waitForStatus(app, taskId, 'completed');
  const { body } = await app.call('GET', `/api/v1/tasks/${taskId}/result`);
  t.match(body, { status: 'completed', outputs: { message: 'hello fleet' } });
  t.equal((await app.call('GET', `/api/v1/tasks/${taskId}`)).body.instance_id, instanceId);
  t.strictSame(await eventTypes(app, taskId), ['task.submitted', 'task.queued', 'task.started', 'task.completed']);
  await recordHistory(temporal, `task-${taskId}`, 'task-completed');
  await recordHistory(temporal, `instance-${instanceId}`, 'instance-provisioned');
});

t.test('given no instance has the skill, when a task needs it, then it waits, and runs once an instance with it is deployed', async (t) => {
  const app = await startFleet(t, temporal);
  await deployRunning(app, {}, 'plain');
  const taskId = await submit(app, { kind: 'echo', input: { message: 'x' }, required_skills: ['git'] });
  await waitForStatus(app, taskId, 'waiting');
  const skilled = await deployRunning(app, { skills: [{ name: 'git', version: '2.1.0' }] }, 'skilled');
  await waitForStatus(app, taskId, 'completed');
  t.equal((await app.call('GET', `/api/v1/tasks/${taskId}`)).body.instance_id, skilled, 'it ran on the instance with the skill');
  t.ok((await eventTypes(app, taskId)).includes('task.deferred'), 'the wait is on record');
  await recordHistory(temporal, `task-${taskId}`, 'task-waited-for-skill');
});

t.test('given a task that runs past the acknowledgement timeout, then it is not requeued and completes once', async (t) => {
  // The workflow is not signalled task.started: at the acknowledgement deadline its requeue is refused and reports the start.
  const app = await startFleet(t, temporal);
  await deployRunning(app);
  const taskId = await submit(app, { kind: 'sleep', input: { seconds: 5 } });
  await waitForStatus(app, taskId, 'completed');
  t.strictSame(await eventTypes(app, taskId), ['task.submitted', 'task.queued', 'task.started', 'task.completed']);
  await recordHistory(temporal, `task-${taskId}`, 'task-ran-past-ack-deadline');
});

t.test('given a running sleep task, when it is cancelled, then it stays cancelled and its agent stops it', async (t) => {
  const app = await startFleet(t, temporal);
  await deployRunning(app);
  const taskId = await submit(app, { kind: 'sleep', input: { seconds: 3 } });
  await waitForStatus(app, taskId, 'running');
  t.equal((await app.call('POST', `/api/v1/tasks/${taskId}/cancel`, { body: { reason: 'changed my mind' } })).status, 200);
  // Past the sleep's natural end: had the agent not stopped, it would have tried to complete.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  t.equal((await app.call('GET', `/api/v1/tasks/${taskId}`)).body.status, 'cancelled');
  t.notOk((await eventTypes(app, taskId)).includes('task.completed'));
  const next = await submit(app, { kind: 'echo', input: { message: 'after' } });
  await waitForStatus(app, next, 'completed');
  t.pass('the agent took the next task: its slot was freed');
  await recordHistory(temporal, `task-${taskId}`, 'task-cancelled-while-running');
});

t.test('given an agent that does not acknowledge in time, then the task is requeued, and runs once the agent is back', async (t) => {
  const app = await startFleet(t, temporal);
  const instanceId = await deployRunning(app);
  const pid = agentPid(app, instanceId);
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  });
  const taskId = await submit(app, { kind: 'echo', input: { message: 'late' } });
  await eventually('task requeued', async () => (await eventTypes(app, taskId)).includes('task.requeued'));
  process.kill(pid, 'SIGCONT');
  await waitForStatus(app, taskId, 'completed');
  t.pass('completed after the requeue');
  await recordHistory(temporal, `task-${taskId}`, 'task-requeued');
  await recordHistory(temporal, `instance-${instanceId}`, 'instance-unhealthy-and-back');
});

t.test('given a task running on an agent that dies, then its instance turns unhealthy, the run fails over and is retried on another instance', async (t) => {
  const app = await startFleet(t, temporal);
  const first = await deployRunning(app, {}, 'doomed');
  const taskId = await submit(app, { kind: 'sleep', input: { seconds: 2 } });
  await waitForStatus(app, taskId, 'running');
  process.kill(agentPid(app, first), 'SIGKILL');
  await eventually('instance unhealthy', async () => (await app.call('GET', `/api/v1/instances/${first}`)).body.health === 'unhealthy');
  await eventually('attempt failed', async () => (await eventTypes(app, taskId)).includes('task.attempt_failed'));
  const second = await deployRunning(app, {}, 'rescue');
  await waitForStatus(app, taskId, 'completed');
  const task = (await app.call('GET', `/api/v1/tasks/${taskId}`)).body;
  t.equal(task.instance_id, second, 'the retry ran on the healthy instance');
  t.equal(task.attempts, 2);
  await recordHistory(temporal, `task-${taskId}`, 'task-retried-after-agent-lost');
  await recordHistory(temporal, `instance-${first}`, 'instance-agent-lost');
});

t.test('given a team policy that allows auto-provisioning, when no instance can take a task, then one is deployed for it and runs it', async (t) => {
  const app = await startFleet(t, temporal);
  const policy = await app.call('PUT', '/api/v1/team/policy', {
    body: { drift_auto_approve_max_severity: 'low', auto_provision: { provider: 'local', max_instances: 1 } },
  });
  t.match(policy, { status: 200, body: { auto_provision: { provider: 'local', max_instances: 1 } } });
  const taskId = await submit(app, { kind: 'echo', input: { message: 'made for me' }, required_skills: ['git'] });
  await waitForStatus(app, taskId, 'completed', 60_000);
  const task = (await app.call('GET', `/api/v1/tasks/${taskId}`)).body;
  const instance = (await app.call('GET', `/api/v1/instances/${task.instance_id}`)).body;
  t.match(instance, { name: /^auto-/, provider: 'local', spec: { skills: [{ name: 'git' }] } });
  t.ok((await eventTypes(app, taskId)).includes('task.provisioning_started'), 'the task waited for the instance being provisioned');

  const second = await submit(app, { kind: 'echo', input: { message: 'x' }, required_skills: ['python'] });
  await waitForStatus(app, second, 'waiting');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  t.equal((await app.call('GET', '/api/v1/instances')).body.data.length, 1, 'max_instances holds: no second instance');
});
