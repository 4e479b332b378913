import { assertNever } from '../../domain/shared/decider.js';
import type { TaskError, TaskEvent, TaskStatus } from '../../domain/task/events.js';
import { evolveTask, initialTaskState, type TaskState } from '../../domain/task/state.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { ReadDocument } from '../read-store.js';

/** The task read model: what clients see of a task. */
export type TaskView = ReadDocument & {
  readonly kind: string;
  readonly status: TaskStatus;
  readonly input: Record<string, unknown>;
  /** The instance the client pinned the task to, if any. */
  readonly requested_instance_id: string | null;
  /** The instance the task is handed to now, if any. */
  readonly instance_id: string | null;
  /** While queued: when the agent must have acknowledged it. */
  readonly ack_deadline: string | null;
  readonly required_skills: string[];
  readonly timeout_seconds: number | null;
  readonly progress: { readonly percent: number | null; readonly message: string | null } | null;
  readonly outputs: Record<string, unknown> | null;
  readonly error: TaskError | null;
  readonly cancel_reason: string | null;
  readonly attempts: number;
  readonly max_attempts: number;
  /** The finished task this one runs again, or null; views stored before reruns lack it. */
  readonly rerun_of?: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  /** Global position of the last event applied. */
  readonly position: number;
};

/**
 * The domain state as far as the view knows it, so the lifecycle (status, instance,
 * attempts) follows the domain's fold. The retry backoff is not in the view; the
 * lifecycle does not depend on it.
 */
const domainStateOf = (view: TaskView): TaskState => ({
  status: view.status,
  taskId: view.id,
  timeoutSeconds: view.timeout_seconds,
  pinnedInstanceId: view.requested_instance_id,
  instanceId: view.instance_id,
  attempts: view.attempts,
  maxAttempts: view.max_attempts,
  retryBackoffSeconds: 0,
});

const lifecycleOf = (state: TaskState) => {
  if (state.status === 'none') throw new Error('a task event left no task');
  return { status: state.status, instance_id: state.instanceId, attempts: state.attempts };
};

/** What an event changes besides the lifecycle. */
const changesOf = (event: TaskEvent, at: string): Partial<TaskView> => {
  switch (event.type) {
    case 'task.submitted':
    case 'task.deferred':
    case 'task.provisioning_started':
      return {};
    case 'task.queued':
      return { ack_deadline: event.data.ack_deadline };
    case 'task.requeued':
      return { ack_deadline: null };
    case 'task.started':
      return { ack_deadline: null, started_at: at };
    case 'task.progressed':
      return { progress: event.data };
    case 'task.logged':
      // Lines are read from the task's event stream (SSE); the view only moves its revision.
      return {};
    case 'task.attempt_failed':
      // The error stays visible while the task waits for its next run.
      return { error: event.data.error };
    case 'task.completed':
      return { outputs: event.data.outputs, error: null, finished_at: at };
    case 'task.failed':
      return { error: event.data.error, finished_at: at };
    case 'task.timed_out':
      return {
        error: { code: 'timeout', message: `task timed out after ${event.data.timeout_seconds ?? '?'} s while ${event.data.status_at_timeout}` },
        finished_at: at,
      };
    case 'task.cancelled':
      return { cancel_reason: event.data.reason, finished_at: at };
    default:
      return assertNever(event);
  }
};

/**
 * Folds one stored task event into the view. Pure, so the projector and idempotent
 * replays (which rebuild the answer as of a revision) share it.
 */
export const evolveTaskView = (view: TaskView | null, recorded: RecordedEvent): TaskView | null => {
  const event = { type: recorded.type, data: recorded.data } as TaskEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'task.submitted') {
    if (view) return view;
    const { status, instance_id, attempts } = lifecycleOf(evolveTask(initialTaskState(), event));
    return {
      id: event.data.task_id,
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      kind: event.data.kind,
      status,
      input: event.data.input,
      requested_instance_id: event.data.instance_id,
      instance_id,
      ack_deadline: null,
      required_skills: event.data.required_skills,
      timeout_seconds: event.data.timeout_seconds,
      progress: null,
      outputs: null,
      error: null,
      cancel_reason: null,
      attempts,
      max_attempts: event.data.max_attempts,
      rerun_of: event.data.rerun_of,
      created_at: at,
      updated_at: at,
      started_at: null,
      finished_at: null,
    };
  }
  if (!view) return null;
  return {
    ...view,
    ...changesOf(event, at),
    ...lifecycleOf(evolveTask(domainStateOf(view), event)),
    revision: recorded.revision,
    position: recorded.position,
    updated_at: at,
  };
};
