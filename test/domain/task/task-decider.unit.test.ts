import t from 'tap';
import { replay } from '../../../domain/shared/decider.js';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../../../domain/shared/errors.js';
import {
  taskActionsAllowedIn,
  taskDecider,
  taskStatuses,
  terminalStatuses,
  type SubmitTask,
  type TaskCommand,
  type TaskEvent,
  type TaskStatus,
} from '../../../domain/task/index.js';
import { spec } from '../decider-specification.js';

const task = spec(taskDecider);

const taskId = 'task-1';
const instanceA = 'instance-a';
const instanceB = 'instance-b';
const ackDeadline = '2026-01-01T00:05:00.000Z';

type EventOf<T extends TaskEvent['type']> = Extract<TaskEvent, { type: T }>;
type Data<T extends TaskEvent['type']> = EventOf<T>['data'];

/** Events as the decider should write them, with the values the sample commands carry. */
const ev = {
  submitted: (data: Partial<Data<'task.submitted'>> = {}): EventOf<'task.submitted'> => ({
    type: 'task.submitted',
    data: {
      task_id: taskId,
      kind: 'echo',
      input: { text: 'hi' },
      instance_id: null,
      required_skills: ['shell'],
      timeout_seconds: 600,
      max_attempts: 1,
      retry_backoff_seconds: 0,
      callback_url: null,
      rerun_of: null,
      ...data,
    },
  }),
  deferred: (): EventOf<'task.deferred'> => ({ type: 'task.deferred', data: { reason: 'no eligible instance' } }),
  provisioningStarted: (instanceId: string): EventOf<'task.provisioning_started'> => ({ type: 'task.provisioning_started', data: { instance_id: instanceId } }),
  queued: (instanceId: string): EventOf<'task.queued'> => ({ type: 'task.queued', data: { instance_id: instanceId, ack_deadline: ackDeadline } }),
  requeued: (instanceId: string): EventOf<'task.requeued'> => ({
    type: 'task.requeued',
    data: { instance_id: instanceId, reason: 'not acknowledged in time' },
  }),
  started: (instanceId: string): EventOf<'task.started'> => ({ type: 'task.started', data: { instance_id: instanceId } }),
  progressed: (percent: number | null, message: string | null): EventOf<'task.progressed'> => ({ type: 'task.progressed', data: { percent, message } }),
  completed: (): EventOf<'task.completed'> => ({ type: 'task.completed', data: { outputs: { text: 'hi' } } }),
  attemptFailed: (attempt: number, retryInSeconds: number): EventOf<'task.attempt_failed'> => ({
    type: 'task.attempt_failed',
    data: { attempt, error: { code: 'agent_crashed', message: 'the agent exited' }, retry_in_seconds: retryInSeconds },
  }),
  failed: (): EventOf<'task.failed'> => ({ type: 'task.failed', data: { error: { code: 'agent_crashed', message: 'the agent exited' } } }),
  timedOut: (status: TaskStatus, timeoutSeconds: number | null = 600): EventOf<'task.timed_out'> => ({
    type: 'task.timed_out',
    data: { timeout_seconds: timeoutSeconds, status_at_timeout: status },
  }),
  cancelled: (status: TaskStatus, reason: string | null = null): EventOf<'task.cancelled'> => ({
    type: 'task.cancelled',
    data: { reason, status_at_cancel: status },
  }),
};

/** One well-formed command of every type. */
const command: { [T in TaskCommand['type']]: Extract<TaskCommand, { type: T }> } = {
  SubmitTask: {
    type: 'SubmitTask',
    taskId,
    kind: 'echo',
    input: { text: 'hi' },
    instanceId: null,
    requiredSkills: ['shell'],
    timeoutSeconds: 600,
    maxAttempts: 1,
    retryBackoffSeconds: 0,
    rerunOf: null,
  },
  DeferTask: { type: 'DeferTask', reason: 'no eligible instance' },
  StartProvisioning: { type: 'StartProvisioning', instanceId: instanceA },
  QueueTask: { type: 'QueueTask', instanceId: instanceA, ackDeadline },
  RequeueTask: { type: 'RequeueTask', reason: 'not acknowledged in time' },
  StartTask: { type: 'StartTask', instanceId: instanceA },
  ReportProgress: { type: 'ReportProgress', percent: 50, message: 'half way' },
  AppendTaskLog: { type: 'AppendTaskLog', lines: [{ stream: 'stdout', line: 'hello' }] },
  CompleteTask: { type: 'CompleteTask', outputs: { text: 'hi' } },
  FailTask: { type: 'FailTask', error: { code: 'agent_crashed', message: 'the agent exited' }, retryable: true },
  TimeOutTask: { type: 'TimeOutTask' },
  CancelTask: { type: 'CancelTask', reason: null },
};

/** A shortest history that leaves a task in each status. */
const historyOf: Record<TaskStatus, TaskEvent[]> = {
  pending: [ev.submitted()],
  waiting: [ev.submitted(), ev.deferred()],
  provisioning: [ev.submitted(), ev.provisioningStarted(instanceA)],
  queued: [ev.submitted(), ev.queued(instanceA)],
  running: [ev.submitted(), ev.queued(instanceA), ev.started(instanceA)],
  completed: [ev.submitted(), ev.queued(instanceA), ev.started(instanceA), ev.completed()],
  failed: [ev.submitted(), ev.queued(instanceA), ev.started(instanceA), ev.failed()],
  cancelled: [ev.submitted(), ev.cancelled('pending')],
};

type CommandType = TaskCommand['type'];
type LaterCommandType = Exclude<CommandType, 'SubmitTask'>;

const nonTerminal = taskStatuses.filter((status) => !terminalStatuses.includes(status));

/** The lifecycle as DESIGN.md states it, written out independently of decide.ts. */
const lifecycle: Record<LaterCommandType, readonly TaskStatus[]> = {
  DeferTask: ['pending'],
  StartProvisioning: ['pending', 'waiting'],
  QueueTask: ['pending', 'waiting', 'provisioning'],
  RequeueTask: ['queued'],
  StartTask: ['queued'],
  ReportProgress: ['running'],
  AppendTaskLog: ['running'],
  CompleteTask: ['running'],
  FailTask: ['running'],
  TimeOutTask: nonTerminal,
  CancelTask: nonTerminal,
};
const laterCommandTypes = Object.keys(lifecycle) as LaterCommandType[];

/** What the sample command of each type decides into, from a state that allows it. */
const decidedFrom: Record<LaterCommandType, (status: TaskStatus) => TaskEvent[]> = {
  DeferTask: () => [ev.deferred()],
  StartProvisioning: () => [ev.provisioningStarted(instanceA)],
  QueueTask: () => [ev.queued(instanceA)],
  RequeueTask: () => [ev.requeued(instanceA)],
  StartTask: () => [ev.started(instanceA)],
  ReportProgress: () => [ev.progressed(50, 'half way')],
  AppendTaskLog: () => [{ type: 'task.logged', data: { lines: [{ stream: 'stdout', line: 'hello' }] } }],
  CompleteTask: () => [ev.completed()],
  FailTask: () => [ev.failed()],
  TimeOutTask: (status) => [ev.timedOut(status)],
  CancelTask: (status) => [ev.cancelled(status)],
};

/** Where each event leaves the task. */
const statusAfter: Record<TaskEvent['type'], TaskStatus | 'unchanged'> = {
  'task.submitted': 'pending',
  'task.deferred': 'waiting',
  'task.provisioning_started': 'provisioning',
  'task.queued': 'queued',
  'task.requeued': 'waiting',
  'task.started': 'running',
  'task.progressed': 'unchanged',
  'task.logged': 'unchanged',
  'task.attempt_failed': 'waiting',
  'task.completed': 'completed',
  'task.failed': 'failed',
  'task.timed_out': 'failed',
  'task.cancelled': 'cancelled',
};

const refusedIn = (status: TaskStatus) => ({
  aggregate: 'task',
  state: status,
  code: 'illegal_transition',
  message: new RegExp(`a task that is ${status}$`),
});

t.test('fixtures: each history leads to the status it is named after', async (t) => {
  for (const status of taskStatuses) t.equal(replay(taskDecider, historyOf[status]).status, status, status);
});

t.test('decide.ts allows exactly the lifecycle of DESIGN.md', async (t) => {
  for (const status of taskStatuses) {
    const expected = laterCommandTypes.filter((type) => lifecycle[type].includes(status));
    t.strictSame(taskActionsAllowedIn(status).sort(), expected.sort(), `actions allowed when ${status}`);
  }
});

t.test('every allowed transition', async (t) => {
  t.test('SubmitTask on no task -> task.submitted', task.given([]).when(command.SubmitTask).then([ev.submitted()]));
  for (const type of laterCommandTypes) {
    for (const status of lifecycle[type]) {
      const events = decidedFrom[type](status);
      t.test(`${type} from ${status} -> ${events.map((e) => e.type).join(', ')}`, async (t) => {
        await task.given(historyOf[status]).when(command[type]).then(events)(t);
        const target = statusAfter[events[0]!.type];
        t.equal(replay(taskDecider, [...historyOf[status], ...events]).status, target === 'unchanged' ? status : target, 'moves the task on');
      });
    }
  }
});

t.test('every other command in every status is refused, naming the status', async (t) => {
  for (const status of taskStatuses) {
    const allowed = new Set(laterCommandTypes.filter((type) => lifecycle[type].includes(status)));
    for (const type of Object.keys(command) as CommandType[]) {
      if (type !== 'SubmitTask' && allowed.has(type)) continue;
      t.test(`${type} when ${status}`, task.given(historyOf[status]).when(command[type]).thenThrows(IllegalTransitionError, refusedIn(status)));
    }
  }
});

t.test('commands on a task that does not exist', async (t) => {
  for (const type of laterCommandTypes) {
    t.test(type, task.given([]).when(command[type]).thenThrows(NotFoundError, { code: 'not_found', message: 'task does not exist' }));
  }
});

t.test('submit', async (t) => {
  const submit = (overrides: Partial<SubmitTask>): SubmitTask => ({ ...command.SubmitTask, ...overrides });

  t.test(
    'twice is refused: the task is already pending',
    task.given([ev.submitted()]).when(command.SubmitTask).thenThrows(IllegalTransitionError, refusedIn('pending')),
  );
  t.test(
    'as a rerun of a finished task: the event names it',
    task
      .given([])
      .when(submit({ rerunOf: 'task-0' }))
      .then([ev.submitted({ rerun_of: 'task-0' })]),
  );
  t.test(
    'pinned to an instance',
    task
      .given([])
      .when(submit({ instanceId: instanceA }))
      .then([ev.submitted({ instance_id: instanceA })]),
  );
  t.test(
    'without a timeout',
    task
      .given([])
      .when(submit({ timeoutSeconds: null }))
      .then([ev.submitted({ timeout_seconds: null })]),
  );
  t.test(
    'a one-second timeout',
    task
      .given([])
      .when(submit({ timeoutSeconds: 1 }))
      .then([ev.submitted({ timeout_seconds: 1 })]),
  );
  for (const timeoutSeconds of [0, -1, 1.5, Number.NaN]) {
    t.test(
      `a timeout of ${timeoutSeconds} is refused`,
      task.given([]).when(submit({ timeoutSeconds })).thenThrows(RuleViolationError, { code: 'invalid_timeout', field: 'timeout_seconds' }),
    );
  }
  t.test(
    'duplicate required skills are recorded once, in first-seen order',
    task
      .given([])
      .when(submit({ requiredSkills: ['shell', 'git', 'shell', 'git', 'python'] }))
      .then([ev.submitted({ required_skills: ['shell', 'git', 'python'] })]),
  );
});

t.test('progress', async (t) => {
  const progress = (percent: number | null, message: string | null = null): TaskCommand => ({ type: 'ReportProgress', percent, message });
  for (const percent of [0, 0.5, 100, null]) {
    t.test(
      `${percent} percent`,
      task
        .given(historyOf.running)
        .when(progress(percent))
        .then([ev.progressed(percent, null)]),
    );
  }
  for (const percent of [-1, -0.01, 100.5, 101, Number.NaN]) {
    t.test(
      `${percent} percent is refused`,
      task.given(historyOf.running).when(progress(percent)).thenThrows(RuleViolationError, { code: 'invalid_progress', field: 'percent' }),
    );
  }
  t.test(
    'reported twice, the task keeps running',
    task
      .given([...historyOf.running, ev.progressed(10, 'started')])
      .when(progress(20, 'more'))
      .then([ev.progressed(20, 'more')]),
  );
});

t.test('a task pinned to an instance runs nowhere else', async (t) => {
  const pinned = ev.submitted({ instance_id: instanceA });
  const mismatch = { code: 'instance_mismatch', field: 'instance_id', message: new RegExp(`pinned to instance ${instanceA}, not ${instanceB}`) };
  const queueOn = (instanceId: string): TaskCommand => ({ ...command.QueueTask, instanceId });
  const provisionFor = (instanceId: string): TaskCommand => ({ type: 'StartProvisioning', instanceId });
  const histories = { pending: [pinned], waiting: [pinned, ev.deferred()], provisioning: [pinned, ev.provisioningStarted(instanceA)] };

  for (const [status, history] of Object.entries(histories)) {
    t.test(`queue from ${status} on another instance is refused`, task.given(history).when(queueOn(instanceB)).thenThrows(RuleViolationError, mismatch));
    t.test(
      `queue from ${status} on the pinned instance`,
      task
        .given(history)
        .when(queueOn(instanceA))
        .then([ev.queued(instanceA)]),
    );
  }
  for (const status of ['pending', 'waiting'] as const) {
    const history = histories[status];
    t.test(
      `provision from ${status} for another instance is refused`,
      task.given(history).when(provisionFor(instanceB)).thenThrows(RuleViolationError, mismatch),
    );
    t.test(
      `provision from ${status} for the pinned instance`,
      task
        .given(history)
        .when(provisionFor(instanceA))
        .then([ev.provisioningStarted(instanceA)]),
    );
  }
});

t.test('start', async (t) => {
  t.test(
    'on another instance than the one it is queued on is refused',
    task
      .given(historyOf.queued)
      .when({ type: 'StartTask', instanceId: instanceB })
      .thenThrows(RuleViolationError, {
        code: 'instance_mismatch',
        field: 'instance_id',
        message: new RegExp(`queued on instance ${instanceA}, not ${instanceB}`),
      }),
  );
});

t.test('requeue', async (t) => {
  const requeuedFromA = [ev.submitted(), ev.queued(instanceA), ev.requeued(instanceA)];

  t.test(
    'records the instance the task left',
    task
      .given([ev.submitted(), ev.queued(instanceB)])
      .when(command.RequeueTask)
      .then([ev.requeued(instanceB)]),
  );
  t.test('clears the assignment', async (t) => {
    const state = replay(taskDecider, requeuedFromA);
    t.match(state, { status: 'waiting', instanceId: null });
  });
  t.test(
    'lets the task be queued on another instance',
    task
      .given(requeuedFromA)
      .when({ ...command.QueueTask, instanceId: instanceB })
      .then([ev.queued(instanceB)]),
  );
  t.test(
    'lets the task be provisioned for another instance',
    task
      .given(requeuedFromA)
      .when({ type: 'StartProvisioning', instanceId: instanceB })
      .then([ev.provisioningStarted(instanceB)]),
  );
  t.test(
    'then only the new instance may start it',
    task
      .given([...requeuedFromA, ev.queued(instanceB)])
      .when({ type: 'StartTask', instanceId: instanceA })
      .thenThrows(RuleViolationError, { code: 'instance_mismatch' }),
  );
  t.test(
    'then the new instance starts it',
    task
      .given([...requeuedFromA, ev.queued(instanceB)])
      .when({ type: 'StartTask', instanceId: instanceB })
      .then([ev.started(instanceB)]),
  );
  t.test(
    'a pinned task still cannot be queued elsewhere',
    task
      .given([ev.submitted({ instance_id: instanceA }), ev.queued(instanceA), ev.requeued(instanceA)])
      .when({ ...command.QueueTask, instanceId: instanceB })
      .thenThrows(RuleViolationError, { code: 'instance_mismatch', field: 'instance_id' }),
  );
  t.test(
    'a pinned task is queued on its instance again',
    task
      .given([ev.submitted({ instance_id: instanceA }), ev.queued(instanceA), ev.requeued(instanceA)])
      .when(command.QueueTask)
      .then([ev.queued(instanceA)]),
  );
});

t.test('cancel records the status it interrupted', async (t) => {
  for (const status of nonTerminal) {
    t.test(
      `from ${status}`,
      task
        .given(historyOf[status])
        .when({ type: 'CancelTask', reason: 'no longer needed' })
        .then([ev.cancelled(status, 'no longer needed')]),
    );
  }
});

t.test('time out records the status it interrupted', async (t) => {
  for (const status of nonTerminal) {
    t.test(
      `from ${status}`,
      task
        .given(historyOf[status])
        .when(command.TimeOutTask)
        .then([ev.timedOut(status)]),
    );
  }
  t.test(
    'records a task without a timeout as such',
    task
      .given([ev.submitted({ timeout_seconds: null })])
      .when(command.TimeOutTask)
      .then([ev.timedOut('pending', null)]),
  );
  t.test(
    'leaves the task failed: it can no longer be cancelled',
    task
      .given([...historyOf.running, ev.timedOut('running')])
      .when(command.CancelTask)
      .thenThrows(IllegalTransitionError, refusedIn('failed')),
  );
});

t.test('a failed run is retried within the retry policy, with doubling backoff', async (t) => {
  const retrying = ev.submitted({ max_attempts: 3, retry_backoff_seconds: 2 });
  const run = [ev.queued(instanceA), ev.started(instanceA)];
  t.test(
    'first failure: attempt 1 failed, retry in 2 s, the task waits',
    task
      .given([retrying, ...run])
      .when(command.FailTask)
      .then([ev.attemptFailed(1, 2)]),
  );
  t.test(
    'second failure: retry in 4 s',
    task
      .given([retrying, ...run, ev.attemptFailed(1, 2), ...run])
      .when(command.FailTask)
      .then([ev.attemptFailed(2, 4)]),
  );
  t.test(
    'the last attempt fails the task for good',
    task
      .given([retrying, ...run, ev.attemptFailed(1, 2), ...run, ev.attemptFailed(2, 4), ...run])
      .when(command.FailTask)
      .then([ev.failed()]),
  );
  t.test(
    'an error the agent marks not retryable fails the task at once',
    task
      .given([retrying, ...run])
      .when({ ...command.FailTask, retryable: false })
      .then([ev.failed()]),
  );
  t.test(
    'after a failed attempt the task is waiting and may be queued again',
    task
      .given([retrying, ...run, ev.attemptFailed(1, 2)])
      .when(command.QueueTask)
      .then([ev.queued(instanceA)]),
  );
  t.test(
    'tasks written before retries existed run once',
    task
      .given([ev.submitted({ max_attempts: undefined, retry_backoff_seconds: undefined }), ...run])
      .when(command.FailTask)
      .then([ev.failed()]),
  );
  for (const maxAttempts of [0, 1.5]) {
    t.test(
      `max_attempts ${maxAttempts} is refused, naming the field`,
      task
        .given([])
        .when({ ...command.SubmitTask, maxAttempts })
        .thenThrows(RuleViolationError, { code: 'invalid_retry', field: 'retry.max_attempts' }),
    );
  }
  t.test(
    'a negative backoff is refused, naming the field',
    task
      .given([])
      .when({ ...command.SubmitTask, retryBackoffSeconds: -1 })
      .thenThrows(RuleViolationError, { code: 'invalid_retry', field: 'retry.backoff_seconds' }),
  );
});

t.test(
  'an empty batch of log lines records nothing',
  task
    .given([...historyOf.running])
    .when({ type: 'AppendTaskLog', lines: [] })
    .then([]),
);
