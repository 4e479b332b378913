/** Recorded events as workflows see them: what the reactor signals and what task activities report. */
import type { RecordedEvent } from '../events/event-store.js';
import type { AggregateEvent } from './signals.js';

export const aggregateEventOf = (event: RecordedEvent): AggregateEvent => ({
  eventId: event.id,
  type: event.type,
  revision: event.revision,
  occurredAt: event.metadata.occurred_at,
  correlationId: event.metadata.correlation_id,
  data: event.data as Record<string, unknown>,
});

/**
 * Written by the task's own workflow, whose activities answer with the events they wrote:
 * the reactor does not signal them back.
 */
export const writtenByItsWorkflow = (event: RecordedEvent): boolean =>
  event.stream.startsWith('task-') && event.metadata.actor.type === 'workflow' && event.metadata.actor.id === event.stream;
