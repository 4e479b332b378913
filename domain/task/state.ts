import { assertNever } from '../shared/decider.js';
import type { TaskEvent, TaskStatus } from './events.js';

/** What deciding needs to know about a task; read models keep the rest. */
export type TaskState =
  | { readonly status: 'none' }
  | {
      readonly status: TaskStatus;
      readonly taskId: string;
      readonly timeoutSeconds: number | null;
      /** The instance the client asked for at submission; the task may run nowhere else. */
      readonly pinnedInstanceId: string | null;
      /** The instance the task is currently handed to, if any. */
      readonly instanceId: string | null;
      /** Runs started so far. */
      readonly attempts: number;
      readonly maxAttempts: number;
      readonly retryBackoffSeconds: number;
    };

export const initialTaskState = (): TaskState => ({ status: 'none' });

const moveTo = (state: TaskState, status: TaskStatus, instanceId?: string | null): TaskState => {
  if (state.status === 'none') return state;
  return { ...state, status, instanceId: instanceId === undefined ? state.instanceId : instanceId };
};

export const evolveTask = (state: TaskState, event: TaskEvent): TaskState => {
  switch (event.type) {
    case 'task.submitted':
      return {
        status: 'pending',
        taskId: event.data.task_id,
        timeoutSeconds: event.data.timeout_seconds,
        pinnedInstanceId: event.data.instance_id,
        instanceId: null,
        attempts: 0,
        maxAttempts: event.data.max_attempts,
        retryBackoffSeconds: event.data.retry_backoff_seconds,
      };
    case 'task.deferred':
      return moveTo(state, 'waiting');
    case 'task.provisioning_started':
      return moveTo(state, 'provisioning', event.data.instance_id);
    case 'task.queued':
      return moveTo(state, 'queued', event.data.instance_id);
    case 'task.requeued':
      return moveTo(state, 'waiting', null);
    case 'task.started':
      return state.status === 'none' ? state : { ...state, status: 'running', instanceId: event.data.instance_id, attempts: state.attempts + 1 };
    case 'task.attempt_failed':
      return moveTo(state, 'waiting', null);
    case 'task.progressed':
    case 'task.logged':
      return state;
    case 'task.completed':
      return moveTo(state, 'completed');
    case 'task.failed':
    case 'task.timed_out':
      return moveTo(state, 'failed');
    case 'task.cancelled':
      return moveTo(state, 'cancelled');
    default:
      return assertNever(event);
  }
};
