/**
 * The drift workflow on skipped time with mocked activities: a remediation escalated when
 * its task failed or when no snapshot confirms it in time, and continue-as-new. The
 * workflow never ends, so a test waits for the activity call it expects while awaiting
 * the result (which lets the server skip time), then terminates it.
 */
import type { WorkflowHandle } from '@temporalio/client';
import t, { type Test } from 'tap';
import type { DriftActivities } from '../../workflows/drift-activities.js';
import { remediationTaskSignal, type RemediationTaskOutcome } from '../../workflows/drift-signals.js';
import type { DriftWorkflowInput } from '../../workflows/drift-workflow.js';
import {
  Calls,
  continuedAsNew,
  currentRunInput,
  FakeStream,
  forward,
  megabyte,
  sharedWorker,
  terminateAtRest,
  timeSkippingEnvironment,
} from './time-skipping-harness.js';

// A workflow that goes wrong may wait forever on skipped time.
t.setTimeout(30_000);

const env = await timeSkippingEnvironment(t);
const worker = await sharedWorker<DriftActivities>(t, env, ['proposeRemediation', 'startRemediation', 'failRemediation'], 'instanceId');

const verifyWithinMs = 30_000;
let instances = 0;

/**
 * Mocked drift activities of one instance: the plan is proposed and approved by policy,
 * the remediation starts its task, whose end `taskEnds` tells (forwarded as the reactor
 * would); a failed remediation is escalated.
 */
const mockDrift = (stream: FakeStream, taskEnds: Omit<RemediationTaskOutcome, 'taskId'> | null) => {
  const instanceId = `instance-${++instances}`;
  const workflowId = `drift-${instanceId}`;
  const taskId = `remediation-task-${instances}`;
  const calls = new Calls<keyof DriftActivities>();
  const write = async (type: string, data: Record<string, unknown>) => {
    const event = await stream.append(type, data);
    await forward(env, workflowId, event);
    return event.revision;
  };
  worker.route(instanceId, {
    async proposeRemediation(ref) {
      await write('drift.remediation_proposed', { drift_id: ref.driftId, plan: [] });
      calls.record('proposeRemediation', ref);
      return { revision: await write('drift.remediation_approved', { drift_id: ref.driftId, automatic: true }) };
    },
    async startRemediation(ref) {
      const revision = await write('drift.remediation_started', { drift_id: ref.driftId, task_id: taskId });
      if (taskEnds) await env.client.workflow.getHandle(workflowId).signal(remediationTaskSignal, { taskId, ...taskEnds });
      calls.record('startRemediation', ref);
      return { revision, verifyWithinMs };
    },
    async failRemediation(ref) {
      const revision = await write('drift.escalated', { drift_id: ref.driftId, reason: ref.reason });
      calls.record('failRemediation', ref);
      return { revision };
    },
  });
  return { instanceId, workflowId, taskId, calls };
};

/**
 * Awaits `called` while awaiting the workflow's result, so that time skips meanwhile. At
 * teardown the workflow is terminated once at rest and its result awaited: awaiting it
 * stops time skipping again when it settles, which must not happen during the next test.
 */
const whileRunning = async (t: Test, handle: WorkflowHandle, called: Promise<void>): Promise<void> => {
  const ended = handle.result().then((result) => {
    throw new Error(`the drift workflow ended (${String(result)}): it runs forever`);
  });
  ended.catch(() => undefined);
  t.teardown(async () => {
    await terminateAtRest(env, handle);
    await ended.catch(() => undefined);
  });
  await Promise.race([called, ended]);
};

const detected = (stream: FakeStream) => stream.append('drift.detected', { drift_id: 'drift-1', severity: 'low' });

t.test("given an approved remediation whose task failed, then the drift is escalated at once with the task's reason", async (t) => {
  const stream = new FakeStream(env);
  const { instanceId, workflowId, taskId, calls } = mockDrift(stream, { status: 'failed', reason: 'exit code 1' });
  const first = await detected(stream);
  const handle = await env.client.workflow.start('driftWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ instanceId, tenant: 'team-a', first } satisfies DriftWorkflowInput],
  });

  await whileRunning(t, handle, calls.called('failRemediation'));

  t.strictSame(calls.names(), ['proposeRemediation', 'startRemediation', 'failRemediation']);
  t.match(calls.of('failRemediation')[0], { driftId: 'drift-1', taskId, reason: `the config.apply task ${taskId} failed: exit code 1` });
});

t.test('given a remediation whose task completed, when no snapshot confirms it within the verification window, then the drift is escalated', async (t) => {
  const stream = new FakeStream(env);
  const { instanceId, workflowId, taskId, calls } = mockDrift(stream, { status: 'completed', reason: null });
  const first = await detected(stream);
  const handle = await env.client.workflow.start('driftWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ instanceId, tenant: 'team-a', first } satisfies DriftWorkflowInput],
  });

  await whileRunning(t, handle, calls.called('failRemediation'));

  t.strictSame(calls.names(), ['proposeRemediation', 'startRemediation', 'failRemediation']);
  t.match(calls.of('failRemediation')[0], { taskId, reason: 'no snapshot matched the desired spec within 30 s of the remediation' });
  t.strictSame(stream.types(), ['drift.detected', 'drift.remediation_proposed', 'drift.remediation_approved', 'drift.remediation_started', 'drift.escalated']);
});

t.test('given a remediation whose task completed, when a snapshot confirms it within the window, then the drift is resolved and not escalated', async (t) => {
  const stream = new FakeStream(env);
  const { instanceId, workflowId, calls } = mockDrift(stream, { status: 'completed', reason: null });
  const first = await detected(stream);
  const handle = await env.client.workflow.start('driftWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId,
    args: [{ instanceId, tenant: 'team-a', first } satisfies DriftWorkflowInput],
  });
  t.teardown(() => terminateAtRest(env, handle));
  await calls.called('startRemediation');

  await forward(env, workflowId, await stream.append('drift.resolved', { drift_id: 'drift-1' }));
  await env.sleep(10 * verifyWithinMs);

  t.strictSame(calls.names(), ['proposeRemediation', 'startRemediation'], 'no escalation, however long after');
});

t.test(
  'given a drift workflow whose history passes 4 MiB, then it continues as new with what it tracked, and the next run remediates the next drift',
  async (t) => {
    const stream = new FakeStream(env);
    const { instanceId, workflowId, calls } = mockDrift(stream, null);
    const first = await stream.append('drift.snapshot_recorded', {});
    const handle = await env.client.workflow.start('driftWorkflow', {
      taskQueue: worker.taskQueue,
      workflowId,
      args: [{ instanceId, tenant: 'team-a', first } satisfies DriftWorkflowInput],
    });

    for (let i = 0; i < 5; i++) await forward(env, workflowId, await stream.append('drift.snapshot_recorded', megabyte()));
    await continuedAsNew(handle, handle.firstExecutionRunId);
    const carried = await currentRunInput<DriftWorkflowInput>(env, workflowId);
    await forward(env, workflowId, await detected(stream));
    await whileRunning(t, handle, calls.called('startRemediation'));

    t.match(carried, {
      input: { instanceId, tenant: 'team-a', carried: { revision: 5, status: 'none', driftId: null } },
      continuedFrom: handle.firstExecutionRunId,
    });
    t.strictSame(calls.names(), ['proposeRemediation', 'startRemediation']);
    t.match(calls.of('proposeRemediation')[0], { driftId: 'drift-1' });
  },
);
