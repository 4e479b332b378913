/**
 * The embedded bus: the event-store subscription fanned out in process. One lane, `log`,
 * whose offsets are global positions, so covering a position is a comparison.
 */
import pino, { type Logger } from 'pino';
import type { EventStore, RecordedEvent, Subscription } from '../events/event-store.js';
import { categoryOfStream } from '../events/streams.js';
import type { BusHandlers, BusLag, BusSubscription, Delivery, EventBus, SubscribeOptions } from '../projections/event-bus.js';

export const embeddedLane = 'log';

export type EmbeddedBusOptions = {
  /** @defaultValue 500 deliveries per `onBatch` call at most */
  readonly maxBatch?: number;
  readonly logger?: Logger;
};

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

class EmbeddedSubscription implements BusSubscription {
  readonly #events: EventStore;
  readonly #handlers: BusHandlers;
  readonly #wanted: ReadonlySet<string>;
  readonly #maxBatch: number;
  readonly #logger: Logger;
  readonly #store: Subscription;
  #buffer: Delivery[] = [];
  /** Position of the last event the store gave us, wanted or not. */
  #passed: number;
  /** Every event at or below this position went through a finished `onBatch` (or was not wanted). */
  #handled: number;
  /** Batches run one after the other on this chain: never two `onBatch` calls at once. */
  #chain: Promise<void> = Promise.resolve();
  #scheduled: NodeJS.Immediate | null = null;
  #stopped = false;

  constructor(events: EventStore, options: SubscribeOptions, handlers: BusHandlers, maxBatch: number, logger: Logger) {
    this.#events = events;
    this.#handlers = handlers;
    this.#wanted = new Set(options.categories);
    this.#maxBatch = maxBatch;
    this.#logger = logger.child({ bus: 'embedded', group: options.group });
    const after = options.from.lanes[embeddedLane] ?? options.from.position;
    this.#passed = after;
    this.#handled = after;
    this.#store = events.subscribe(after, {
      onEvent: (event) => this.#onEvent(event),
      // The store has nothing more for now: hand over what gathered at once.
      onCaughtUp: () => this.#schedule(),
      onError: (error) => this.#fail(error),
    });
  }

  #onEvent(event: RecordedEvent): Promise<void> | void {
    if (this.#stopped) return;
    this.#passed = event.position;
    if (this.#wanted.has(categoryOfStream(event.stream))) this.#buffer.push({ event, lane: embeddedLane, offset: event.position });
    // A full batch holds the store back until it is handled: that is the back-pressure.
    if (this.#buffer.length >= this.#maxBatch) return this.#flush();
    this.#schedule();
  }

  /**
   * The store hands a page over in microtasks, so an immediate runs once it has given all it
   * had: a burst becomes one batch, and a single live event is not kept waiting.
   */
  #schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = null;
      void this.#flush();
    });
  }

  /** Queues a batch of whatever is buffered when its turn comes; resolves when it is handled. */
  #flush(): Promise<void> {
    this.#chain = this.#chain.then(async () => {
      if (this.#stopped) return;
      const batch = this.#buffer;
      const through = this.#passed;
      this.#buffer = [];
      if (batch.length > 0) {
        try {
          await this.#handlers.onBatch(batch);
        } catch (error) {
          const first = batch[0] as Delivery;
          const last = batch.at(-1) as Delivery;
          this.#fail(new Error(`embedded bus: onBatch failed on positions ${first.offset}..${last.offset}: ${asError(error).message}`, { cause: error }));
          return;
        }
      }
      this.#handled = Math.max(this.#handled, through);
    });
    return this.#chain;
  }

  #fail(error: Error): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#logger.error({ err: error, handled: this.#handled }, 'embedded bus subscription stopped');
    // Not awaited: the store's delivery may itself be waiting on the batch that failed.
    void this.#store.close();
    this.#handlers.onError(error);
  }

  async covers(position: number): Promise<boolean> {
    return this.#handled >= position;
  }

  async lag(): Promise<BusLag> {
    const head = await this.#events.headPosition();
    return { events: Math.max(0, head - this.#handled), head };
  }

  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    // Closing the store's subscription waits for its delivery, which may wait for a batch: both must end.
    await this.#store.close();
    await this.#chain;
  }
}

/** An in-process bus over `events`; each subscription follows the log on its own. */
export const createEmbeddedBus = (events: EventStore, options: EmbeddedBusOptions = {}): EventBus => {
  const maxBatch = options.maxBatch ?? 500;
  const logger = options.logger ?? pino({ enabled: false });
  const subscriptions = new Set<EmbeddedSubscription>();
  return {
    name: 'embedded',
    async subscribe(subscribeOptions, handlers) {
      const subscription = new EmbeddedSubscription(events, subscribeOptions, handlers, maxBatch, logger);
      subscriptions.add(subscription);
      const close = subscription.close.bind(subscription);
      return {
        covers: (position) => subscription.covers(position),
        lag: () => subscription.lag(),
        close: async () => {
          subscriptions.delete(subscription);
          await close();
        },
      };
    },
    async health() {
      return { ok: true };
    },
    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      subscriptions.clear();
    },
  };
};
