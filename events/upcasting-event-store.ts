import { upcast, type Upcasters } from '../domain/shared/upcasting.js';
import type { EventSchemaRegistry } from './event-schemas.js';
import type { EventStore, RecordedEvent } from './event-store.js';

/**
 * Reads through `store` see every event at its type's newest schema version: older ones are
 * upcast on the way out, the stored bytes stay as written. Appends pass through untouched
 * (they are always written at the newest version).
 */
export const withUpcasting = (store: EventStore, schemas: EventSchemaRegistry, upcasters: readonly Upcasters[]): EventStore => {
  const steps: Upcasters = Object.assign({}, ...upcasters);
  const current = (event: RecordedEvent): RecordedEvent => {
    const newest = schemas.currentVersion(event.type);
    if (event.metadata.schema_version >= newest) return event;
    return {
      ...event,
      data: upcast(steps, event.type, event.metadata.schema_version, newest, event.data),
      metadata: { ...event.metadata, schema_version: newest },
    };
  };
  return {
    append: (stream, events, expected) => store.append(stream, events, expected),
    readStream: async (stream, options) => (await store.readStream(stream, options)).map(current),
    readAll: async (options) => (await store.readAll(options)).map(current),
    headPosition: () => store.headPosition(),
    subscribe: (after, handlers) => store.subscribe(after, { ...handlers, onEvent: (event) => handlers.onEvent(current(event)) }),
    close: () => store.close(),
  };
};
