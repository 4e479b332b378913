import type { Logger } from 'pino';
import type { EventStore } from '../events/event-store.js';
import { eventCategories } from '../events/streams.js';
import type { BusPublisher, BusSubscription, EventBus } from './event-bus.js';
import type { ReadStore } from './read-store.js';

export type RelayStatus = {
  /** Every event at or below this position is on the bus. */
  readonly published: number;
  readonly head: number;
  readonly lag_events: number;
  readonly state: 'publishing' | 'retrying' | 'stopped';
  readonly error: string | null;
};

const checkpointName = 'relay';
const retryDelaysMs = [250, 500, 1000, 2000, 5000];

/**
 * Follows the log from its checkpoint and publishes every event to the bus in log order.
 * The checkpoint is saved only after the bus acknowledged, so a crash republishes a few
 * events (harmless: consumers are idempotent) and never leaves a gap. While the bus is
 * down it keeps retrying the same batch, holding the log subscription back: commands go
 * on being accepted, and the lag says the read side is behind.
 */
export class Relay {
  #published = 0;
  #error: Error | null = null;
  #stopped = false;
  #subscription: BusSubscription | null = null;
  readonly #publishedListeners: ((position: number) => void)[] = [];

  constructor(
    private readonly deps: {
      readonly log: EventBus;
      readonly events: EventStore;
      readonly publisher: BusPublisher;
      /** Where the relay keeps its checkpoint. */
      readonly store: ReadStore;
      readonly logger: Logger;
    },
  ) {}

  async start(): Promise<void> {
    const checkpoint = await this.deps.store.checkpoint(checkpointName);
    this.#published = checkpoint.position;
    const logger = this.deps.logger.child({ component: 'relay' });
    logger.info({ from: this.#published }, 'relay publishing the log to the bus');
    this.#subscription = await this.deps.log.subscribe(
      { group: checkpointName, categories: eventCategories, from: checkpoint },
      {
        onBatch: async (deliveries) => {
          const events = deliveries.map((d) => d.event);
          for (let attempt = 0; ; attempt++) {
            try {
              await this.deps.publisher.publish(events);
              break;
            } catch (error) {
              if (this.#stopped) throw error;
              this.#error = error as Error;
              const delay = retryDelaysMs[Math.min(attempt, retryDelaysMs.length - 1)] as number;
              if (attempt === 0 || delay === retryDelaysMs.at(-1))
                logger.warn({ err: error, position: this.#published, retry_in_ms: delay }, 'relay cannot publish; retrying');
              await new Promise((resolve) => setTimeout(resolve, delay));
            }
          }
          const last = deliveries.at(-1);
          if (!last) return;
          // On the bus once acknowledged: reads waiting for these events may go ahead before the checkpoint is saved.
          this.#published = last.event.position;
          for (const listener of this.#publishedListeners) listener(this.#published);
          await this.deps.store.commit([], { [checkpointName]: { position: last.event.position, lanes: { [last.lane]: last.offset } } });
          if (this.#error) logger.info({ position: last.event.position }, 'relay publishing again');
          this.#error = null;
        },
        onError: (error) => {
          this.#error = error;
          logger.error({ err: error, position: this.#published }, 'relay stopped');
        },
      },
    );
  }

  /** Called with the new published position after each batch the bus acknowledged. */
  onPublished(listener: (position: number) => void): void {
    this.#publishedListeners.push(listener);
  }

  /** Every event at or below this position is on the bus. */
  published(): number {
    return this.#published;
  }

  async status(): Promise<RelayStatus> {
    const head = await this.deps.events.headPosition();
    return {
      published: this.#published,
      head,
      lag_events: Math.max(0, head - this.#published),
      state: this.#stopped ? 'stopped' : this.#error ? 'retrying' : 'publishing',
      error: this.#error?.message ?? null,
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#subscription?.close();
    await this.deps.publisher.close();
  }
}
