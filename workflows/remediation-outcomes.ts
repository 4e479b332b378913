/**
 * The drift workflow waits for the `config.apply` task it submitted. Task events belong to
 * the task's stream, so the reactor hands their ends over here as well: the task's first
 * event tells whether it is a configuration change pinned to an instance.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { TaskEvent } from '../domain/task/events.js';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { driftStream, idOfStream } from '../events/streams.js';
import { remediationTaskSignal, type RemediationTaskOutcome } from './drift-signals.js';

const outcomeOf = (event: TaskEvent): Omit<RemediationTaskOutcome, 'taskId'> | null => {
  switch (event.type) {
    case 'task.completed':
      return { status: 'completed', reason: null };
    case 'task.failed':
      return { status: 'failed', reason: `${event.data.error.code}: ${event.data.error.message}` };
    case 'task.timed_out':
      return { status: 'failed', reason: `timed out after ${event.data.timeout_seconds} s` };
    case 'task.cancelled':
      return { status: 'cancelled', reason: event.data.reason ?? 'cancelled' };
    default:
      return null;
  }
};

/** Could this event end a remediation's `config.apply` task? Only then is its task's first event read. */
export const endsRemediationTask = (event: RecordedEvent): boolean => outcomeOf({ type: event.type, data: event.data } as TaskEvent) !== null;

export type OutcomeForwarding = { readonly events: EventStore; readonly client: Client; readonly logger: Logger };

/** Retries until Temporal takes the signal; an instance without a drift workflow (a config.apply an operator submitted) is skipped. */
export const forwardRemediationOutcome = async (deps: OutcomeForwarding, event: RecordedEvent): Promise<void> => {
  const outcome = outcomeOf({ type: event.type, data: event.data } as TaskEvent);
  if (!outcome) return;
  const [submitted] = await deps.events.readStream(event.stream, { maxCount: 1 });
  const task = submitted?.type === 'task.submitted' ? (submitted.data as { kind: string; instance_id: string | null }) : null;
  if (task?.kind !== 'config.apply' || task.instance_id === null) return;
  const workflowId = driftStream(task.instance_id);
  const signal: RemediationTaskOutcome = { taskId: idOfStream(event.stream), ...outcome };
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.client.workflow.getHandle(workflowId).signal(remediationTaskSignal, signal);
      return;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return;
      const delay = Math.min(10_000, 100 * 2 ** attempt);
      deps.logger.warn(
        { err: error, workflow_id: workflowId, task_id: signal.taskId, attempt, retry_in_ms: delay },
        'remediation outcome not delivered; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
};
