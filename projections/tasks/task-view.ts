import { assertNever } from '../../domain/shared/decider.js';
import type { TaskError, TaskEvent, TaskStatus } from '../../domain/task/events.js';
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
  readonly created_at: string;
  readonly updated_at: string;
  readonly started_at: string | null;
  readonly finished_at: string | null;
  /** Global position of the last event applied. */
  readonly position: number;
};

const touch = (view: TaskView, event: RecordedEvent, changes: Partial<TaskView>): TaskView => ({
  ...view,
  ...changes,
  revision: event.revision,
  position: event.position,
  updated_at: event.metadata.occurred_at,
});

/**
 * Folds one stored task event into the view. Pure, so the projector and idempotent
 * replays (which rebuild the answer as of a revision) share it.
 */
export const evolveTaskView = (view: TaskView | null, recorded: RecordedEvent): TaskView | null => {
  const event = { type: recorded.type, data: recorded.data } as TaskEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'task.submitted') {
    if (view) return view;
    return {
      id: event.data.task_id,
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      kind: event.data.kind,
      status: 'pending',
      input: event.data.input,
      requested_instance_id: event.data.instance_id,
      instance_id: null,
      ack_deadline: null,
      required_skills: event.data.required_skills,
      timeout_seconds: event.data.timeout_seconds,
      progress: null,
      outputs: null,
      error: null,
      cancel_reason: null,
      attempts: 0,
      max_attempts: event.data.max_attempts,
      created_at: at,
      updated_at: at,
      started_at: null,
      finished_at: null,
    };
  }
  if (!view) return null;
  switch (event.type) {
    case 'task.deferred':
      return touch(view, recorded, { status: 'waiting' });
    case 'task.provisioning_started':
      return touch(view, recorded, { status: 'provisioning', instance_id: event.data.instance_id });
    case 'task.queued':
      return touch(view, recorded, { status: 'queued', instance_id: event.data.instance_id, ack_deadline: event.data.ack_deadline });
    case 'task.requeued':
      return touch(view, recorded, { status: 'waiting', instance_id: null, ack_deadline: null });
    case 'task.started':
      return touch(view, recorded, {
        status: 'running',
        instance_id: event.data.instance_id,
        ack_deadline: null,
        attempts: view.attempts + 1,
        started_at: at,
      });
    case 'task.progressed':
      return touch(view, recorded, { progress: event.data });
    case 'task.logged':
      // Lines are read from the task's event stream (SSE); the view only moves its revision.
      return touch(view, recorded, {});
    case 'task.attempt_failed':
      // The error stays visible while the task waits for its next run.
      return touch(view, recorded, { status: 'waiting', instance_id: null, error: event.data.error });
    case 'task.completed':
      return touch(view, recorded, { status: 'completed', outputs: event.data.outputs, error: null, finished_at: at });
    case 'task.failed':
      return touch(view, recorded, { status: 'failed', error: event.data.error, finished_at: at });
    case 'task.timed_out':
      return touch(view, recorded, {
        status: 'failed',
        error: { code: 'timeout', message: `task timed out after ${event.data.timeout_seconds ?? '?'} s while ${event.data.status_at_timeout}` },
        finished_at: at,
      });
    case 'task.cancelled':
      return touch(view, recorded, { status: 'cancelled', cancel_reason: event.data.reason, finished_at: at });
    default:
      return assertNever(event);
  }
};
