/**
 * The instance workflow on skipped time with mocked activities: the enrolment timeout, a
 * lost agent's fail-over, and continue-as-new. Its activities answer with a revision and
 * the workflow waits for that event to be forwarded, so the mocks forward what they write.
 */
import t from 'tap';
import type { InstanceActivities } from '../../workflows/instance-activities.js';
import type { InstanceWorkflowInput, TrackedInstance } from '../../workflows/instance-workflow.js';
import { Calls, continuedAsNew, currentRunInput, FakeStream, forward, megabyte, sharedWorker, timeSkippingEnvironment } from './time-skipping-harness.js';

// A workflow that goes wrong may wait forever on skipped time.
t.setTimeout(30_000);

const env = await timeSkippingEnvironment(t);
const worker = await sharedWorker<InstanceActivities>(
  t,
  env,
  ['provisionInstance', 'failProvisioning', 'suspendInstance', 'resumeInstance', 'restartInstance', 'backUpInstance', 'destroyInstance', 'failOverTasks'],
  'instanceId',
);

let instances = 0;

/** Mocked instance activities of one instance: each writes what the real one records, and forwards it. */
const mockInstance = (stream: FakeStream) => {
  const instanceId = `instance-${++instances}`;
  const workflowId = `instance-${instanceId}`;
  const calls = new Calls<keyof InstanceActivities>();
  const write = async (type: string, data: Record<string, unknown> = {}) => {
    const event = await stream.append(type, data);
    await forward(env, workflowId, event);
    return { revision: event.revision };
  };
  worker.route(instanceId, {
    async provisionInstance(ref) {
      calls.record('provisionInstance', ref);
      return write('instance.registration_opened');
    },
    async failProvisioning(ref) {
      calls.record('failProvisioning', ref);
      return write('instance.provisioning_failed', { error: { code: 'provisioning_timeout', message: ref.reason } });
    },
    async suspendInstance(ref) {
      calls.record('suspendInstance', ref);
      return write('instance.suspended');
    },
    async resumeInstance(ref) {
      calls.record('resumeInstance', ref);
      return write('instance.resumed');
    },
    async restartInstance(ref) {
      calls.record('restartInstance', ref);
      return write('instance.restarted');
    },
    async backUpInstance(ref) {
      calls.record('backUpInstance', ref);
      return write('instance.backup_completed', { backup_id: ref.backupId });
    },
    async destroyInstance(ref) {
      calls.record('destroyInstance', ref);
      return write('instance.destroyed');
    },
    async failOverTasks(ref) {
      calls.record('failOverTasks', ref);
      return 0;
    },
  });
  return { instanceId, workflowId, calls };
};

const running = (stream: FakeStream): TrackedInstance => ({ status: 'running', revision: stream.events.length - 1, correlationId: 'corr-1', operations: [] });

/** A provisioned instance whose workflow is started as running (carried), with its mocked activities. */
const startRunning = async () => {
  const stream = new FakeStream(env);
  const { instanceId, workflowId, calls } = mockInstance(stream);
  await stream.append('instance.deploy_requested', { name: 'box', provider: 'local' });
  await stream.append('instance.provisioned');
  const handle = await env.client.workflow.start('instanceWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ instanceId, tenant: 'team-a', carried: running(stream) } satisfies InstanceWorkflowInput],
  });
  return { stream, instanceId, workflowId, calls, handle };
};

t.test('given a deployed instance whose agent never enrols, when two minutes pass, then provisioning is failed and the workflow ends failed', async (t) => {
  const stream = new FakeStream(env);
  const { instanceId, workflowId, calls } = mockInstance(stream);
  const first = await stream.append('instance.deploy_requested', { name: 'box', provider: 'local' });

  const status = await env.client.workflow.execute('instanceWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ instanceId, tenant: 'team-a', first } satisfies InstanceWorkflowInput],
  });

  t.equal(status, 'failed');
  t.strictSame(calls.names(), ['provisionInstance', 'failProvisioning']);
  t.match(calls.of('failProvisioning')[0], { instanceId, reason: 'the agent did not enrol within 2 minutes' });
  t.strictSame(stream.types(), ['instance.deploy_requested', 'instance.registration_opened', 'instance.provisioning_failed']);
});

t.test(
  'given a running instance, when its agent is lost and it is then destroyed, then its tasks are failed over each time and the workflow ends destroyed',
  async (t) => {
    const { stream, workflowId, calls, handle } = await startRunning();

    await forward(env, workflowId, await stream.append('instance.health_changed', { health: 'unhealthy', reason: 'no heartbeat for 30 s' }));
    await calls.called('failOverTasks');
    await forward(env, workflowId, await stream.append('instance.destroy_requested'));

    t.equal(await handle.result(), 'destroyed');
    t.strictSame(calls.names(), ['failOverTasks', 'failOverTasks', 'destroyInstance']);
    t.strictSame(
      calls.of('failOverTasks').map((call) => call.reason),
      ['agent lost: no heartbeat for 30 s', 'the instance is being destroyed'],
    );
  },
);

t.test('given a running instance, when a restart is requested, then its tasks are failed over and the provider restarts its agent', async (t) => {
  const { stream, workflowId, calls, handle } = await startRunning();

  await forward(env, workflowId, await stream.append('instance.restart_requested'));
  await calls.called('restartInstance');
  // The call is recorded before the mock writes what it did.
  while (!stream.types().includes('instance.restarted')) await new Promise((resolve) => setTimeout(resolve, 10));
  await forward(env, workflowId, await stream.append('instance.destroy_requested'));

  t.equal(await handle.result(), 'destroyed');
  t.strictSame(calls.names(), ['failOverTasks', 'restartInstance', 'failOverTasks', 'destroyInstance']);
  t.equal(calls.of('failOverTasks')[0]?.reason, 'the agent is being restarted');
  t.strictSame(stream.types().slice(2), ['instance.restart_requested', 'instance.restarted', 'instance.destroy_requested', 'instance.destroyed']);
});

t.test(
  'given a running instance whose history passes 4 MiB, when its next operation is done, then it continues as new with what it tracked, and the next run destroys it',
  async (t) => {
    const { stream, instanceId, workflowId, calls, handle } = await startRunning();

    for (let i = 0; i < 5; i++) await forward(env, workflowId, await stream.append('instance.spec_changed', megabyte()));
    await forward(env, workflowId, await stream.append('instance.backup_requested', { backup_id: 'backup-1' }));
    await continuedAsNew(handle, handle.firstExecutionRunId);
    const carried = await currentRunInput<InstanceWorkflowInput>(env, workflowId);
    await forward(env, workflowId, await stream.append('instance.destroy_requested'));

    t.equal(await handle.result(), 'destroyed');
    t.strictSame(carried, {
      input: { instanceId, tenant: 'team-a', carried: { status: 'running', revision: 8, correlationId: 'corr-1', operations: [] } },
      continuedFrom: handle.firstExecutionRunId,
    });
    t.strictSame(calls.names(), ['backUpInstance', 'failOverTasks', 'destroyInstance']);
    t.match(calls.of('backUpInstance')[0], { backupId: 'backup-1' });
  },
);
