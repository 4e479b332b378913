import type { RecordedEvent } from '../commands/event-store.js';
import type { ReadStore } from './read-store.js';

/**
 * Builds one read model from events. `apply` must be idempotent: applying an event a
 * second time changes nothing (documents carry the stream revision they reflect).
 */
export type Projector = {
  readonly name: string;
  readonly apply: (event: RecordedEvent, store: ReadStore) => Promise<void>;
};
