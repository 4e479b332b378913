import { assertNever, type Decider } from '../shared/decider.js';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../shared/errors.js';
import type { TaskCommand } from './commands.js';
import type { TaskEvent, TaskStatus } from './events.js';
import { evolveTask, initialTaskState, type TaskState } from './state.js';

/** The one table of which command each state allows. */
const allowedFrom: Record<Exclude<TaskCommand['type'], 'SubmitTask'>, readonly TaskStatus[]> = {
  DeferTask: ['pending'],
  StartProvisioning: ['pending', 'waiting'],
  QueueTask: ['pending', 'waiting', 'provisioning'],
  RequeueTask: ['queued'],
  StartTask: ['queued'],
  ReportProgress: ['running'],
  AppendTaskLog: ['running'],
  CompleteTask: ['running'],
  FailTask: ['running'],
  TimeOutTask: ['pending', 'waiting', 'provisioning', 'queued', 'running'],
  CancelTask: ['pending', 'waiting', 'provisioning', 'queued', 'running'],
};

const actionNames: Record<TaskCommand['type'], string> = {
  SubmitTask: 'submit',
  DeferTask: 'defer',
  StartProvisioning: 'provision for',
  QueueTask: 'queue',
  RequeueTask: 'requeue',
  StartTask: 'start',
  ReportProgress: 'report progress on',
  AppendTaskLog: 'log output of',
  CompleteTask: 'complete',
  FailTask: 'fail',
  TimeOutTask: 'time out',
  CancelTask: 'cancel',
};

/** Statuses from which `command` may act; used by read models to list allowed actions. */
export const taskActionsAllowedIn = (status: TaskStatus): TaskCommand['type'][] =>
  (Object.keys(allowedFrom) as (keyof typeof allowedFrom)[]).filter((type) => allowedFrom[type].includes(status));

type ExistingTask = Exclude<TaskState, { status: 'none' }>;

const requireAllowed = (command: Exclude<TaskCommand, { type: 'SubmitTask' }>, state: TaskState): ExistingTask => {
  if (state.status === 'none') throw new NotFoundError('task');
  if (!allowedFrom[command.type].includes(state.status)) {
    throw new IllegalTransitionError('task', state.status, actionNames[command.type]);
  }
  return state;
};

const requirePinnedInstance = (task: ExistingTask, instanceId: string): void => {
  if (task.pinnedInstanceId !== null && task.pinnedInstanceId !== instanceId) {
    throw new RuleViolationError('instance_mismatch', `task is pinned to instance ${task.pinnedInstanceId}, not ${instanceId}`, 'instance_id');
  }
};

export const decideTask = (command: TaskCommand, state: TaskState): TaskEvent[] => {
  if (command.type === 'SubmitTask') {
    if (state.status !== 'none') throw new IllegalTransitionError('task', state.status, actionNames.SubmitTask);
    if (command.timeoutSeconds !== null && !(Number.isInteger(command.timeoutSeconds) && command.timeoutSeconds > 0)) {
      throw new RuleViolationError('invalid_timeout', 'timeout_seconds must be a positive whole number', 'timeout_seconds');
    }
    if (!(Number.isInteger(command.maxAttempts) && command.maxAttempts >= 1)) {
      throw new RuleViolationError('invalid_retry', 'retry.max_attempts must be a positive whole number', 'retry.max_attempts');
    }
    if (!(command.retryBackoffSeconds >= 0)) {
      throw new RuleViolationError('invalid_retry', 'retry.backoff_seconds must not be negative', 'retry.backoff_seconds');
    }
    return [
      {
        type: 'task.submitted',
        data: {
          task_id: command.taskId,
          kind: command.kind,
          input: command.input,
          instance_id: command.instanceId,
          required_skills: [...new Set(command.requiredSkills)],
          timeout_seconds: command.timeoutSeconds,
          max_attempts: command.maxAttempts,
          retry_backoff_seconds: command.retryBackoffSeconds,
          callback_url: command.callbackUrl ?? null,
          rerun_of: command.rerunOf,
        },
      },
    ];
  }
  const task = requireAllowed(command, state);
  switch (command.type) {
    case 'DeferTask':
      return [{ type: 'task.deferred', data: { reason: command.reason } }];
    case 'StartProvisioning':
      requirePinnedInstance(task, command.instanceId);
      return [{ type: 'task.provisioning_started', data: { instance_id: command.instanceId } }];
    case 'QueueTask':
      requirePinnedInstance(task, command.instanceId);
      return [{ type: 'task.queued', data: { instance_id: command.instanceId, ack_deadline: command.ackDeadline } }];
    case 'RequeueTask':
      return [{ type: 'task.requeued', data: { instance_id: task.instanceId ?? '', reason: command.reason } }];
    case 'StartTask':
      if (task.instanceId !== command.instanceId) {
        throw new RuleViolationError('instance_mismatch', `task is queued on instance ${task.instanceId ?? 'none'}, not ${command.instanceId}`, 'instance_id');
      }
      return [{ type: 'task.started', data: { instance_id: command.instanceId } }];
    case 'ReportProgress':
      if (command.percent !== null && !(command.percent >= 0 && command.percent <= 100)) {
        throw new RuleViolationError('invalid_progress', 'percent must be between 0 and 100', 'percent');
      }
      return [{ type: 'task.progressed', data: { percent: command.percent, message: command.message } }];
    case 'AppendTaskLog':
      return command.lines.length === 0 ? [] : [{ type: 'task.logged', data: { lines: [...command.lines] } }];
    case 'CompleteTask':
      return [{ type: 'task.completed', data: { outputs: command.outputs } }];
    case 'FailTask':
      if (command.retryable && task.attempts < task.maxAttempts) {
        const retryInSeconds = task.retryBackoffSeconds * 2 ** (task.attempts - 1);
        return [{ type: 'task.attempt_failed', data: { attempt: task.attempts, error: command.error, retry_in_seconds: retryInSeconds } }];
      }
      return [{ type: 'task.failed', data: { error: command.error } }];
    case 'TimeOutTask':
      return [{ type: 'task.timed_out', data: { timeout_seconds: task.timeoutSeconds, status_at_timeout: task.status } }];
    case 'CancelTask':
      return [{ type: 'task.cancelled', data: { reason: command.reason, status_at_cancel: task.status } }];
    default:
      return assertNever(command);
  }
};

export const taskDecider: Decider<TaskCommand, TaskEvent, TaskState> = {
  decide: decideTask,
  evolve: evolveTask,
  initialState: initialTaskState,
};
