import type { RecordedEvent } from '../events/event-store.js';
import type { CollectionSpec, ReadStore } from './read-store.js';

/**
 * Builds one read model from events. `apply` must be idempotent: applying an event a
 * second time changes nothing (documents carry the stream revision they reflect).
 */
export type Projector = {
  readonly name: string;
  /** The collections it writes, with the fields their lists filter on. */
  readonly collections: readonly CollectionSpec[];
  /** Aggregate categories whose events it reads; others never reach it. */
  readonly categories: readonly string[];
  readonly apply: (event: RecordedEvent, store: ReadStore) => Promise<void>;
};
