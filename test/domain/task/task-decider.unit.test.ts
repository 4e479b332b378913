import t from 'tap';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../../../domain/shared/errors.js';
import {
  taskDecider,
  taskStatuses,
  type TaskCommand,
  type TaskEvent,
  type TaskStatus,
} from '../../../domain/task/index.js';
import { specify } from '../given-when-then.js';

const spec = specify(taskDecider);

const submit: TaskCommand = {
  type: 'SubmitTask',
  taskId: 't-1',
  kind: 'echo',
  input: { message: 'hi' },
  instanceId: null,
  requiredSkills: ['shell', 'git', 'shell'],
  timeoutSeconds: 60,
};
const submitted: TaskEvent = {
  type: 'task.submitted',
  data: { task_id: 't-1', kind: 'echo', input: { message: 'hi' }, instance_id: null, required_skills: ['shell', 'git'], timeout_seconds: 60 },
};
const pinned: TaskEvent = { type: 'task.submitted', data: { ...submitted.data, instance_id: 'i-pinned' } } as TaskEvent;
const deferred: TaskEvent = { type: 'task.deferred', data: { reason: 'no eligible instance' } };
const provisioning: TaskEvent = { type: 'task.provisioning_started', data: { instance_id: 'i-1' } };
const queued: TaskEvent = { type: 'task.queued', data: { instance_id: 'i-1', ack_deadline: '2026-01-01T00:01:00.000Z' } };
const requeued: TaskEvent = { type: 'task.requeued', data: { instance_id: 'i-1', reason: 'not acknowledged' } };
const started: TaskEvent = { type: 'task.started', data: { instance_id: 'i-1' } };
const completed: TaskEvent = { type: 'task.completed', data: { outputs: { message: 'hi' } } };
const failed: TaskEvent = { type: 'task.failed', data: { error: { code: 'crash', message: 'agent crashed' } } };
const cancelled: TaskEvent = { type: 'task.cancelled', data: { reason: null, status_at_cancel: 'pending' } };

/** A shortest history that leaves a task in each status. */
const historyOf: Record<TaskStatus, TaskEvent[]> = {
  pending: [submitted],
  waiting: [submitted, deferred],
  provisioning: [submitted, provisioning],
  queued: [submitted, queued],
  running: [submitted, queued, started],
  completed: [submitted, queued, started, completed],
  failed: [submitted, queued, started, failed],
  cancelled: [submitted, cancelled],
};

/** One valid command of each type, with the status it is allowed from and the event it gives there. */
const commands: { command: TaskCommand; from: TaskStatus[]; then: (status: TaskStatus) => TaskEvent }[] = [
  { command: { type: 'DeferTask', reason: 'no eligible instance' }, from: ['pending'], then: () => deferred },
  { command: { type: 'StartProvisioning', instanceId: 'i-1' }, from: ['pending', 'waiting'], then: () => provisioning },
  { command: { type: 'QueueTask', instanceId: 'i-1', ackDeadline: '2026-01-01T00:01:00.000Z' }, from: ['pending', 'waiting', 'provisioning'], then: () => queued },
  { command: { type: 'RequeueTask', reason: 'not acknowledged' }, from: ['queued'], then: () => requeued },
  { command: { type: 'StartTask', instanceId: 'i-1' }, from: ['queued'], then: () => started },
  { command: { type: 'ReportProgress', percent: 50, message: 'half way' }, from: ['running'], then: () => ({ type: 'task.progressed', data: { percent: 50, message: 'half way' } }) },
  { command: { type: 'CompleteTask', outputs: { message: 'hi' } }, from: ['running'], then: () => completed },
  { command: { type: 'FailTask', error: { code: 'crash', message: 'agent crashed' } }, from: ['running'], then: () => failed },
  {
    command: { type: 'TimeOutTask' },
    from: ['pending', 'waiting', 'provisioning', 'queued', 'running'],
    then: (status) => ({ type: 'task.timed_out', data: { timeout_seconds: 60, status_at_timeout: status } }),
  },
  {
    command: { type: 'CancelTask', reason: 'changed my mind' },
    from: ['pending', 'waiting', 'provisioning', 'queued', 'running'],
    then: (status) => ({ type: 'task.cancelled', data: { reason: 'changed my mind', status_at_cancel: status } }),
  },
];

t.test('submit', async (t) => {
  t.test('given nothing, when submitted, then the task is submitted with de-duplicated skills', async (t) => {
    spec(t).given([]).when(submit).then([submitted]);
  });
  t.test('given a submitted task, when submitted again, then it is refused naming its state', async (t) => {
    spec(t).given([submitted]).when(submit).thenThrows(IllegalTransitionError, /pending/);
  });
  t.test('given nothing, when submitted with a non-positive timeout, then it is refused naming the field', async (t) => {
    spec(t).given([]).when({ ...submit, timeoutSeconds: 0 } as TaskCommand).thenThrows(RuleViolationError, /timeout_seconds/);
  });
});

t.test('every allowed transition', async (t) => {
  for (const { command, from, then } of commands) {
    for (const status of from) {
      t.test(`given a ${status} task, when ${command.type}, then ${then(status).type}`, async (t) => {
        spec(t).given(historyOf[status]).when(command).then([then(status)]);
      });
    }
  }
});

t.test('every rejected transition names the current state', async (t) => {
  for (const { command, from } of commands) {
    for (const status of taskStatuses.filter((s) => !from.includes(s))) {
      t.test(`given a ${status} task, when ${command.type}, then it is refused`, async (t) => {
        spec(t).given(historyOf[status]).when(command).thenThrows(IllegalTransitionError, new RegExp(`is ${status}$`));
      });
    }
  }
});

t.test('a command on a task that does not exist is refused', async (t) => {
  for (const { command } of commands) spec(t).given([]).when(command).thenThrows(NotFoundError, /task does not exist/, command.type);
});

t.test('rules within allowed transitions', async (t) => {
  t.test('given a task pinned to an instance, when queued elsewhere, then it is refused', async (t) => {
    spec(t).given([pinned]).when({ type: 'QueueTask', instanceId: 'i-1', ackDeadline: '2026-01-01T00:01:00.000Z' }).thenThrows(RuleViolationError, /pinned to instance i-pinned/);
  });
  t.test('given a task pinned to an instance, when provisioned elsewhere, then it is refused', async (t) => {
    spec(t).given([pinned]).when({ type: 'StartProvisioning', instanceId: 'i-1' }).thenThrows(RuleViolationError, /pinned/);
  });
  t.test('given a pinned task, when queued on its instance, then it is queued', async (t) => {
    spec(t)
      .given([pinned])
      .when({ type: 'QueueTask', instanceId: 'i-pinned', ackDeadline: '2026-01-01T00:01:00.000Z' })
      .then([{ type: 'task.queued', data: { instance_id: 'i-pinned', ack_deadline: '2026-01-01T00:01:00.000Z' } }]);
  });
  t.test('given a task queued on one instance, when another instance starts it, then it is refused', async (t) => {
    spec(t).given([submitted, queued]).when({ type: 'StartTask', instanceId: 'i-2' }).thenThrows(RuleViolationError, /queued on instance i-1/);
  });
  t.test('given a requeued task, when queued on another instance, then it is queued there', async (t) => {
    spec(t)
      .given([submitted, queued, requeued])
      .when({ type: 'QueueTask', instanceId: 'i-2', ackDeadline: '2026-01-01T00:02:00.000Z' })
      .then([{ type: 'task.queued', data: { instance_id: 'i-2', ack_deadline: '2026-01-01T00:02:00.000Z' } }]);
  });
  t.test('given a requeued task, when the old instance starts it, then it is refused', async (t) => {
    spec(t).given([submitted, queued, requeued]).when({ type: 'StartTask', instanceId: 'i-1' }).thenThrows(IllegalTransitionError, /waiting/);
  });
  t.test('given a running task, when progress is out of range, then it is refused naming the field', async (t) => {
    spec(t).given(historyOf.running).when({ type: 'ReportProgress', percent: 101, message: null }).thenThrows(RuleViolationError, /percent/);
    spec(t).given(historyOf.running).when({ type: 'ReportProgress', percent: -1, message: null }).thenThrows(RuleViolationError, /percent/);
  });
  t.test('given a running task, when progress has no percent, then it is recorded', async (t) => {
    spec(t)
      .given(historyOf.running)
      .when({ type: 'ReportProgress', percent: null, message: 'cloning' })
      .then([{ type: 'task.progressed', data: { percent: null, message: 'cloning' } }]);
  });
});
