import type { TaskError, TaskLogLine } from './events.js';

export type SubmitTask = {
  readonly type: 'SubmitTask';
  readonly taskId: string;
  readonly kind: string;
  readonly input: Record<string, unknown>;
  readonly instanceId: string | null;
  readonly requiredSkills: readonly string[];
  readonly timeoutSeconds: number | null;
  readonly maxAttempts: number;
  readonly retryBackoffSeconds: number;
  /** Checked by the command side (scheme, and the address against the team's policy). */
  readonly callbackUrl?: string | null;
  /** The finished task this one runs again, or null for a new submission. */
  readonly rerunOf: string | null;
};
export type DeferTask = { readonly type: 'DeferTask'; readonly reason: string };
export type StartProvisioning = { readonly type: 'StartProvisioning'; readonly instanceId: string };
export type QueueTask = { readonly type: 'QueueTask'; readonly instanceId: string; readonly ackDeadline: string };
export type RequeueTask = { readonly type: 'RequeueTask'; readonly reason: string };
export type StartTask = { readonly type: 'StartTask'; readonly instanceId: string };
export type ReportProgress = {
  readonly type: 'ReportProgress';
  readonly percent: number | null;
  readonly message: string | null;
};
export type AppendTaskLog = { readonly type: 'AppendTaskLog'; readonly lines: readonly TaskLogLine[] };
export type CompleteTask = { readonly type: 'CompleteTask'; readonly outputs: Record<string, unknown> };
/** A failed run; retried when `retryable` and the task's retry policy has attempts left. */
export type FailTask = { readonly type: 'FailTask'; readonly error: TaskError; readonly retryable: boolean };
export type TimeOutTask = { readonly type: 'TimeOutTask' };
export type CancelTask = { readonly type: 'CancelTask'; readonly reason: string | null };

export type TaskCommand =
  | SubmitTask
  | DeferTask
  | StartProvisioning
  | QueueTask
  | RequeueTask
  | StartTask
  | ReportProgress
  | AppendTaskLog
  | CompleteTask
  | FailTask
  | TimeOutTask
  | CancelTask;
