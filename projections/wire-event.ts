/**
 * The event as Bosun publishes it outside the process: the value of every Kafka message
 * and each line of `GET /api/v1/events`. This shape is a published contract (see the
 * AsyncAPI document): fields are added, never renamed or removed.
 */
import type { EventMetadata, RecordedEvent } from '../events/event-store.js';

export type WireEvent = {
  readonly id: string;
  readonly type: string;
  readonly schema_version: number;
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly tenant: string;
  readonly occurred_at: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
};

export const toWireEvent = (event: RecordedEvent): WireEvent => ({
  id: event.id,
  type: event.type,
  schema_version: event.metadata.schema_version,
  stream: event.stream,
  revision: event.revision,
  position: event.position,
  tenant: event.tenant,
  occurred_at: event.metadata.occurred_at,
  data: event.data,
  metadata: event.metadata,
});

export const fromWireEvent = (wire: WireEvent): RecordedEvent => ({
  id: wire.id,
  type: wire.type,
  stream: wire.stream,
  revision: wire.revision,
  position: wire.position,
  tenant: wire.tenant,
  data: wire.data,
  metadata: wire.metadata,
});
