/** Event metadata for tests that append or build events by hand: who acted, and nothing of HTTP. */
import type { Actor, EventMetadata } from '../../events/event-store.js';

export const testMetadata = (actor: Actor = { type: 'system', id: 'test' }, correlationId = 'c'): EventMetadata => ({
  actor,
  correlation_id: correlationId,
  causation_id: null,
  request_id: null,
  client_ip: null,
  user_agent: null,
  occurred_at: '2026-01-01T00:00:00.000Z',
  schema_version: 1,
});
