/** Recorded events as workflows see them: what the reactor signals and what task activities report. */
import type { RecordedEvent } from '../events/event-store.js';
import type { AggregateEvent } from './signals.js';

/**
 * An instance's desired spec stays out of workflow histories: it holds settings (secret
 * ones sealed, but still more than a workflow needs), and the activities that act on it
 * read it from the instance's stream. The workflow is handed the revision that holds it.
 */
const forwardedData = (event: RecordedEvent): Record<string, unknown> => {
  const data = event.data as Record<string, unknown>;
  if (!('spec' in data) || !event.stream.startsWith('instance-')) return data;
  const { spec: _spec, ...rest } = data;
  return { ...rest, spec_revision: event.revision };
};

export const aggregateEventOf = (event: RecordedEvent): AggregateEvent => ({
  eventId: event.id,
  type: event.type,
  revision: event.revision,
  occurredAt: event.metadata.occurred_at,
  correlationId: event.metadata.correlation_id,
  data: forwardedData(event),
});

/**
 * Written by the task's own workflow, whose activities answer with the events they wrote:
 * the reactor does not signal them back.
 */
export const writtenByItsWorkflow = (event: RecordedEvent): boolean =>
  event.stream.startsWith('task-') && event.metadata.actor.type === 'workflow' && event.metadata.actor.id === event.stream;
