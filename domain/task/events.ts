import type { DomainEvent } from '../shared/decider.js';

export const taskStatuses = ['pending', 'waiting', 'provisioning', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export const terminalStatuses: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export type TaskError = { readonly code: string; readonly message: string };

export type TaskSubmitted = DomainEvent<
  'task.submitted',
  {
    task_id: string;
    kind: string;
    input: Record<string, unknown>;
    instance_id: string | null;
    required_skills: string[];
    timeout_seconds: number | null;
    /** Runs allowed in all, the first included (since v2). */
    max_attempts: number;
    /** Wait before the first retry, doubled for each later one (since v2). */
    retry_backoff_seconds: number;
    /** Where the task's terminal event is sent, signed with the team's task callback secret; null when none (since v3). */
    callback_url: string | null;
    /** The finished task this one runs again, or null (since v3). */
    rerun_of: string | null;
  }
>;
/** No eligible instance yet: the task waits for one. */
export type TaskDeferred = DomainEvent<'task.deferred', { reason: string }>;
export type TaskProvisioningStarted = DomainEvent<'task.provisioning_started', { instance_id: string }>;
/** Handed to an instance's agent, which must acknowledge before `ack_deadline`. */
export type TaskQueued = DomainEvent<'task.queued', { instance_id: string; ack_deadline: string }>;
/** The agent did not acknowledge in time: the task waits for an instance again. */
export type TaskRequeued = DomainEvent<'task.requeued', { instance_id: string; reason: string }>;
export type TaskStarted = DomainEvent<'task.started', { instance_id: string }>;
export type TaskProgressed = DomainEvent<'task.progressed', { percent: number | null; message: string | null }>;
export type TaskLogLine = { readonly stream: 'stdout' | 'stderr'; readonly line: string };
/** Output lines the agent streamed while running the task. */
export type TaskLogged = DomainEvent<'task.logged', { lines: TaskLogLine[] }>;
export type TaskCompleted = DomainEvent<'task.completed', { outputs: Record<string, unknown> }>;
/** A run failed and the retry policy allows another: the task waits for an instance again. */
export type TaskAttemptFailed = DomainEvent<'task.attempt_failed', { attempt: number; error: TaskError; retry_in_seconds: number }>;
export type TaskFailed = DomainEvent<'task.failed', { error: TaskError }>;
export type TaskTimedOut = DomainEvent<'task.timed_out', { timeout_seconds: number | null; status_at_timeout: TaskStatus }>;
export type TaskCancelled = DomainEvent<'task.cancelled', { reason: string | null; status_at_cancel: TaskStatus }>;

export type TaskEvent =
  | TaskSubmitted
  | TaskDeferred
  | TaskProvisioningStarted
  | TaskQueued
  | TaskRequeued
  | TaskStarted
  | TaskProgressed
  | TaskLogged
  | TaskAttemptFailed
  | TaskCompleted
  | TaskFailed
  | TaskTimedOut
  | TaskCancelled;

export type TaskEventType = TaskEvent['type'];

/** Every task event type; the schema registry checks each has a schema file. */
export const taskEventTypes: readonly TaskEventType[] = [
  'task.submitted',
  'task.deferred',
  'task.provisioning_started',
  'task.queued',
  'task.requeued',
  'task.started',
  'task.progressed',
  'task.logged',
  'task.attempt_failed',
  'task.completed',
  'task.failed',
  'task.timed_out',
  'task.cancelled',
];
