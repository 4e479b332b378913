/**
 * The task workflow's timers on skipped time: its timeout, the acknowledgement deadline,
 * the backoff after a failed attempt, and continue-as-new, with mocked activities that
 * answer from a fake task stream.
 */
import t from 'tap';
import type { TaskEvent, TaskSubmitted } from '../../domain/task/events.js';
import { evolveTask, initialTaskState } from '../../domain/task/state.js';
import { placementChanceSignal, type AggregateEvent } from '../../workflows/signals.js';
import type { TaskActivities } from '../../workflows/task-activities.js';
import type { TaskWorkflowInput, TrackedTask } from '../../workflows/task-workflow.js';
import { Calls, continuedAsNew, currentRunInput, FakeStream, forward, megabyte, sharedWorker, timeSkippingEnvironment } from './time-skipping-harness.js';

// A workflow that goes wrong may skip time forever (a running task waits a day at a time).
t.setTimeout(30_000);

const env = await timeSkippingEnvironment(t);
const worker = await sharedWorker<TaskActivities>(t, env, ['placeTask', 'requeueTask', 'timeOutTask'], 'taskId');

type Ref = Parameters<TaskActivities['placeTask']>[0];
type Script = { readonly placements: ((stream: FakeStream) => Promise<void>)[] };

/**
 * Mocked task activities of one task, routed to the shared worker: each placement runs the
 * next step of `script` (what the agent did meanwhile, written to the stream); a requeue
 * and a timeout write their event. A call is recorded once its writes are done.
 */
const mockTask = (taskId: string, stream: FakeStream, script: Script) => {
  const calls = new Calls<keyof TaskActivities>();
  let placements = 0;
  worker.route(taskId, {
    async placeTask(ref: Ref) {
      const at = await stream.now();
      const step = script.placements[placements++];
      if (!step) throw new Error('placed more often than the test expects');
      const before = stream.events.length;
      await step(stream);
      calls.record('placeTask', { ...ref, at });
      const queued = stream.events.slice(before).some((event) => event.type === 'task.queued');
      return { outcome: queued ? 'queued' : 'waiting', ...stream.answer(ref.seen, stream.events.at(-1) ?? null) };
    },
    async requeueTask(ref) {
      calls.record('requeueTask', { ...ref, at: await stream.now() });
      return stream.answer(ref.seen, await stream.append('task.requeued', { reason: ref.reason }));
    },
    async timeOutTask(ref) {
      calls.record('timeOutTask', { ...ref, at: await stream.now() });
      return stream.answer(ref.seen, await stream.append('task.timed_out', {}));
    },
  });
  return calls;
};

const ackWindowMs = 30_000;

/** The task is handed to an instance whose agent must acknowledge within 30 s. */
const queue = async (stream: FakeStream): Promise<void> => {
  await stream.append('task.queued', { instance_id: 'instance-1', ack_deadline: new Date(Date.parse(await stream.now()) + ackWindowMs).toISOString() });
};
const start = async (stream: FakeStream): Promise<void> => void (await stream.append('task.started', { instance_id: 'instance-1' }));

/** Queued, started and completed at one placement. */
const runToCompletion = async (s: FakeStream): Promise<void> => (await queue(s), await start(s), void (await s.append('task.completed', { outputs: {} })));

/** The task's workflow, started on the shared worker with its first event. */
const startTask = (taskId: string, first: AggregateEvent) =>
  env.client.workflow.start('taskWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId: `task-${taskId}`,
    args: [{ taskId, tenant: 'team-a', first } satisfies TaskWorkflowInput],
  });

let tasks = 0;
const submitted = async (stream: FakeStream, timeoutSeconds: number | null) => {
  const taskId = `task-${++tasks}`;
  const data: TaskSubmitted['data'] = {
    task_id: taskId,
    kind: 'echo',
    input: {},
    instance_id: null,
    required_skills: [],
    timeout_seconds: timeoutSeconds,
    max_attempts: 2,
    retry_backoff_seconds: 90,
    callback_url: null,
    rerun_of: null,
  };
  return { taskId, first: await stream.append('task.submitted', data) };
};

t.test('given a task with a ten-minute timeout whose run never ends, when ten minutes pass, then the workflow times it out and ends failed', async (t) => {
  const stream = new FakeStream(env);
  const { taskId, first } = await submitted(stream, 600);
  const calls = mockTask(taskId, stream, { placements: [async (s) => (await queue(s), await start(s))] });

  const status = await env.client.workflow.execute('taskWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId: `task-${taskId}`,
    args: [{ taskId, tenant: 'team-a', first } satisfies TaskWorkflowInput],
  });

  t.equal(status, 'failed');
  t.strictSame(calls.names(), ['placeTask', 'timeOutTask']);
  t.strictSame(stream.types(), ['task.submitted', 'task.queued', 'task.started', 'task.timed_out']);
  const timedOutAt = Date.parse(stream.events.at(-1)!.occurredAt);
  t.ok(timedOutAt >= Date.parse(first.occurredAt) + 600_000, 'timed out once its timeout had passed, not before');
});

t.test('given an agent that never acknowledges, when the acknowledgement deadline passes, then the task is requeued and placed again', async (t) => {
  const stream = new FakeStream(env);
  const { taskId, first } = await submitted(stream, null);
  const calls = mockTask(taskId, stream, {
    placements: [queue, runToCompletion],
  });

  const status = await env.client.workflow.execute('taskWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId: `task-${taskId}`,
    args: [{ taskId, tenant: 'team-a', first } satisfies TaskWorkflowInput],
  });

  t.equal(status, 'completed');
  t.strictSame(calls.names(), ['placeTask', 'requeueTask', 'placeTask']);
  t.match(calls.of('requeueTask')[0], { taskId, tenant: 'team-a', reason: 'the agent did not acknowledge in time' });
  const ackDeadline = Date.parse(stream.events[1]!.data.ack_deadline as string);
  t.ok(Date.parse(calls.of('requeueTask')[0]!.at as string) >= ackDeadline, 'requeued at the deadline, not before');
  t.strictSame(stream.types(), ['task.submitted', 'task.queued', 'task.requeued', 'task.queued', 'task.started', 'task.completed']);
});

t.test('given a run that failed with a retry in 90 seconds, then the task is not placed again before then, and completes on the next attempt', async (t) => {
  const stream = new FakeStream(env);
  const { taskId, first } = await submitted(stream, null);
  const calls = mockTask(taskId, stream, {
    placements: [async (s) => (await queue(s), await start(s)), runToCompletion],
  });
  const handle = await startTask(taskId, first);
  await calls.called('placeTask');

  // The agent was lost: the instance workflow failed the attempt over, and the reactor forwards it.
  const failed = await stream.append('task.attempt_failed', { reason: 'agent lost', retry_in_seconds: 90 });
  await forward(env, handle.workflowId, failed);

  t.equal(await handle.result(), 'completed');
  t.strictSame(calls.names(), ['placeTask', 'placeTask']);
  t.ok(Date.parse(calls.of('placeTask')[1]!.at as string) >= Date.parse(failed.occurredAt) + 90_000, 'placed again once the backoff had passed');
  t.match(calls.of('placeTask')[1], { seen: failed.revision }, 'after it had seen the failed attempt');
});

t.test(
  'given a running task whose history passes 4 MiB, when the server suggests it, then the workflow continues as new with what it tracked, and the next run completes it',
  async (t) => {
    const stream = new FakeStream(env);
    const { taskId, first } = await submitted(stream, null);
    await queue(stream);
    await start(stream);
    const calls = mockTask(taskId, stream, { placements: [] });
    const state = stream.events.reduce((task, event) => evolveTask(task, { type: event.type, data: event.data } as TaskEvent), initialTaskState());
    const carried: TrackedTask = { state, revision: 2, ackDeadline: null, retryAt: null, deadline: null, correlationId: first.correlationId };
    const handle = await env.client.workflow.start('taskWorkflow', {
      taskQueue: worker.taskQueue,
      workflowId: `task-${taskId}`,
      args: [{ taskId, tenant: 'team-a', carried } satisfies TaskWorkflowInput],
    });

    for (let i = 0; i < 5; i++) await forward(env, handle.workflowId, await stream.append('task.progressed', megabyte()));
    await continuedAsNew(handle, handle.firstExecutionRunId);
    await forward(env, handle.workflowId, await stream.append('task.completed', { outputs: {} }));

    t.equal(await handle.result(), 'completed');
    t.strictSame(
      await currentRunInput<TaskWorkflowInput>(env, handle.workflowId),
      { input: { taskId, tenant: 'team-a', carried: { ...carried, revision: 7 } }, continuedFrom: handle.firstExecutionRunId },
      'the next run started from what the first had tracked',
    );
    t.strictSame(calls.names(), [], 'a running task is not placed again');
  },
);

t.test('given a running task carried by a run that tracked its status alone, then the next run takes it on, and completes it', async (t) => {
  const stream = new FakeStream(env);
  const { taskId, first } = await submitted(stream, null);
  await queue(stream);
  await start(stream);
  const calls = mockTask(taskId, stream, { placements: [] });
  const carried = { status: 'running', revision: 2, ackDeadline: null, retryAt: null, deadline: null, correlationId: first.correlationId } as const;
  const handle = await env.client.workflow.start('taskWorkflow', {
    taskQueue: worker.taskQueue,
    workflowId: `task-${taskId}`,
    args: [{ taskId, tenant: 'team-a', carried } satisfies TaskWorkflowInput],
  });

  await forward(env, handle.workflowId, await stream.append('task.completed', { outputs: {} }));

  t.equal(await handle.result(), 'completed');
  t.strictSame(calls.names(), [], 'a running task is not placed again');
});

t.test('given no instance can take a task, then it looks again after 1, 2, 4 and 8 s, and at once when a placement chance is signalled', async (t) => {
  const stream = new FakeStream(env);
  const { taskId, first } = await submitted(stream, null);
  const nothing = async () => undefined;
  const calls = mockTask(taskId, stream, {
    placements: [nothing, nothing, nothing, nothing, nothing, runToCompletion],
  });
  const handle = await startTask(taskId, first);
  await calls.called('placeTask');
  // When time passes with nothing new
  for (const [index, backoffMs] of [1000, 2000, 4000, 8000].entries()) {
    await env.sleep(backoffMs);
    await calls.called('placeTask', index + 2);
  }
  const placedAt = () => calls.of('placeTask').map((call) => Date.parse(call.at as string));
  const gaps = placedAt()
    .slice(1)
    .map((at, i) => at - (placedAt()[i] as number));
  t.ok(
    gaps.every((gap, i) => gap >= [1000, 2000, 4000, 8000][i]!),
    `each look waits twice as long as the one before: ${gaps.join(', ')} ms`,
  );

  // When capacity appears while it waits its longest
  await handle.signal(placementChanceSignal);

  // Then it looks at once, and is placed
  t.equal(await handle.result(), 'completed');
  const [fifth, sixth] = placedAt().slice(4);
  t.ok(sixth! - fifth! < 15_000, 'placed on the chance, before its backoff of 15 s ran out');
});
