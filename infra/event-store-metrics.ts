import { WrongExpectedRevisionError, type EventStore } from '../events/event-store.js';
import type { Metrics } from './metrics.js';

/**
 * The store, with each append timed into `bosun_event_store_append_duration_seconds`
 * (until durable, as `append` resolves). Conflicts are told apart from failures: they are
 * the optimistic-concurrency path working, not the store failing. Reads pass through.
 */
export const instrumentEventStore = (store: EventStore, metrics: Pick<Metrics, 'appendDuration'>): EventStore => ({
  append: async (stream, events, expected) => {
    const end = metrics.appendDuration.startTimer();
    try {
      const result = await store.append(stream, events, expected);
      end({ outcome: 'ok' });
      return result;
    } catch (error) {
      end({ outcome: error instanceof WrongExpectedRevisionError ? 'conflict' : 'error' });
      throw error;
    }
  },
  readStream: (stream, options) => store.readStream(stream, options),
  readAll: (options) => store.readAll(options),
  headPosition: () => store.headPosition(),
  subscribe: (after, handlers) => store.subscribe(after, handlers),
  close: () => store.close(),
});
