/**
 * The Kafka bus: read models consume what the relay published (infra/kafka-publisher.ts), one
 * topic per aggregate category. A lane is one partition of one topic (`<topic>/<partition>`);
 * its offsets are Kafka's. The read store's checkpoint is where a subscription starts; the
 * offsets committed to Kafka are informational (for Kafka's own tools).
 */
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { RecordedEvent } from '../events/event-store.js';
import type { BusHandlers, BusLag, BusSubscription, Delivery, EventBus, SubscribeOptions } from '../projections/event-bus.js';
import { fromWireEvent, type WireEvent } from '../projections/wire-event.js';
import {
  brokerList,
  createKafkaClient,
  defaultTopicPrefix,
  ensureTopics,
  topicsFor,
  type KafkaConnectionOptions,
  type KafkaTopicOptions,
} from './kafka-client.js';
import { EndOffsetCache, laneOf, LaneProgress, type EndOffsets, type PartitionEnds } from './kafka-coverage.js';

export type KafkaBusOptions = KafkaConnectionOptions &
  KafkaTopicOptions & {
    /** Every event at or below this position is on the bus (the relay's published position). */
    readonly publishedThrough: () => Promise<number>;
    /** @defaultValue 2000 ms for `health` to hear from the cluster */
    readonly healthTimeoutMs?: number;
  };

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(asError(error));
      },
    );
  });

const decode = (message: KafkaMessage, lane: string): RecordedEvent => {
  try {
    if (!message.value) throw new Error('the message has no value');
    const wire = JSON.parse(message.value.toString('utf8')) as WireEvent;
    if (typeof wire.position !== 'number' || typeof wire.stream !== 'string') throw new Error('the value is not a wire event');
    return fromWireEvent(wire);
  } catch (error) {
    throw new Error(`kafka bus: cannot decode the message at ${lane} offset ${message.offset}: ${asError(error).message}`, { cause: error });
  }
};

type Shared = {
  readonly kafka: Kafka;
  readonly admin: () => Promise<Admin>;
  readonly options: KafkaBusOptions;
  readonly brokers: string;
  readonly logger: Logger;
};

class KafkaSubscription implements BusSubscription {
  readonly #shared: Shared;
  readonly #topics: readonly string[];
  readonly #handlers: BusHandlers;
  readonly #progress: LaneProgress;
  readonly #ends: EndOffsetCache;
  readonly #logger: Logger;
  readonly #consumer: Consumer;
  #stopped = false;
  #closing: Promise<void> | null = null;
  /** Partitions' deliveries waiting for the `onBatch` call in flight to finish. */
  readonly #waiting: { readonly deliveries: readonly Delivery[]; readonly resolve: () => void; readonly reject: (error: unknown) => void }[] = [];
  #handing = false;

  constructor(shared: Shared, topics: readonly string[], options: SubscribeOptions, handlers: BusHandlers) {
    this.#shared = shared;
    this.#topics = topics;
    this.#handlers = handlers;
    this.#progress = new LaneProgress(options.from.lanes, topics);
    this.#ends = new EndOffsetCache((validFor) => this.#fetchEnds(validFor));
    this.#logger = shared.logger.child({ group: options.group });
    this.#consumer = shared.kafka.consumer({
      // One group per event log: Bosuns of two logs on one cluster (two topic prefixes) must
      // not share a group, or each would be assigned the other's partitions and read nothing.
      groupId: `${shared.options.topicPrefix ?? defaultTopicPrefix}${options.group}`,
      allowAutoTopicCreation: false,
      // Only how long an idle fetch waits at the broker: new messages are returned at once.
      maxWaitTimeInMs: 1000,
    });
  }

  async start(): Promise<void> {
    const consumer = this.#consumer;
    // Wherever the group's committed offsets are, each partition starts after what the checkpoint
    // says was handled (or from its beginning): seek is only possible once assigned, i.e. on join.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const handled = this.#progress.offset(laneOf(topic, partition));
          consumer.seek({ topic, partition, offset: String(handled === undefined ? 0 : handled + 1) });
        }
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#stopped) return;
      if (payload.restart) {
        this.#logger.warn({ err: payload.error, brokers: this.#shared.brokers }, 'kafka consumer crashed; kafkajs restarts it');
        return;
      }
      this.#fail(
        new Error(`kafka bus (${this.#shared.brokers}): consumer of group ${payload.groupId} stopped: ${payload.error.message}`, { cause: payload.error }),
      );
    });
    await consumer.connect();
    // fromBeginning: a partition reset after an out-of-range offset goes to its start, never its end.
    await consumer.subscribe({ topics: [...this.#topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      // commitOffsetsIfNecessary commits the resolved offsets at most this often (autoCommit off).
      autoCommitInterval: 5000,
      eachBatchAutoResolve: false,
      // A bound, not a count: every assigned partition at once, their batches merged into one onBatch call (see #hand).
      partitionsConsumedConcurrently: 64,
      eachBatch: (payload) => this.#eachBatch(payload),
    });
  }

  async #eachBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isStale }: EachBatchPayload): Promise<void> {
    // A pending seek makes this batch stale: it is fetched again from the new offset.
    if (this.#stopped || isStale()) return;
    const lane = laneOf(batch.topic, batch.partition);
    const last = batch.messages.at(-1);
    if (!last) return;
    const handled = this.#progress.offset(lane) ?? -1;
    const deliveries: Delivery[] = [];
    let position = -1;
    try {
      for (const message of batch.messages) {
        const offset = Number(message.offset);
        // Already handled (a fetch made before the seek took effect): delivered once only.
        if (offset <= handled) continue;
        const event = decode(message, lane);
        position = Math.max(position, event.position);
        deliveries.push({ event, lane, offset });
      }
      if (deliveries.length > 0) await this.#hand(deliveries);
    } catch (error) {
      const first = batch.messages[0]?.offset;
      this.#fail(new Error(`kafka bus: batch of ${lane} offsets ${first}..${last.offset} failed: ${asError(error).message}`, { cause: error }));
      return;
    }
    this.#progress.handled(lane, Number(last.offset), position);
    if (this.#stopped) return;
    resolveOffset(last.offset);
    await commitOffsetsIfNecessary();
    await heartbeat();
  }

  /**
   * Hands one partition's deliveries to `onBatch`, merged with those of the partitions
   * fetched meanwhile: kafkajs hands partitions over concurrently, `onBatch` takes one call
   * at a time, and a read store that costs milliseconds per commit (MongoDB) keeps up only
   * when one commit carries every partition's news. Resolves once the call that carried
   * them resolved. Each partition's next batch waits for this, so lanes stay in order.
   */
  #hand(deliveries: readonly Delivery[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ deliveries, resolve, reject });
      if (!this.#handing) void this.#handWaiting();
    });
  }

  async #handWaiting(): Promise<void> {
    this.#handing = true;
    while (this.#waiting.length > 0) {
      const merged = this.#waiting.splice(0);
      try {
        await this.#handlers.onBatch(merged.flatMap((waiting) => waiting.deliveries));
        for (const waiting of merged) waiting.resolve();
      } catch (error) {
        for (const waiting of merged) waiting.reject(error);
      }
    }
    this.#handing = false;
  }

  #fail(error: Error): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#logger.error({ err: error }, 'kafka bus subscription stopped');
    // Not awaited: stopping waits for the batch being handled, which may be the caller.
    void this.#disconnect();
    this.#handlers.onError(error);
  }

  #disconnect(): Promise<void> {
    this.#closing ??= this.#consumer.disconnect().catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'kafka consumer did not disconnect cleanly');
    });
    return this.#closing;
  }

  async #fetchEnds(validFor: number): Promise<EndOffsets> {
    const admin = await this.#shared.admin();
    const lanes = new Map<string, PartitionEnds>();
    try {
      await Promise.all(
        this.#topics.map(async (topic) => {
          for (const { partition, low, high } of await admin.fetchTopicOffsets(topic))
            lanes.set(laneOf(topic, partition), { low: Number(low), high: Number(high) });
        }),
      );
    } catch (error) {
      throw new Error(`kafka at ${this.#shared.brokers}: cannot fetch the end offsets of ${this.#topics.join(', ')}: ${asError(error).message}`, {
        cause: error,
      });
    }
    return { validFor, lanes };
  }

  async covers(position: number): Promise<boolean> {
    const published = await this.#shared.options.publishedThrough();
    if (published < position) return false;
    const lanes = this.#ends.lanes;
    if (lanes && this.#progress.coveredByPositions(position, lanes)) return true;
    return this.#progress.covers(position, await this.#ends.for(position, published));
  }

  async lag(): Promise<BusLag> {
    const published = await this.#shared.options.publishedThrough();
    const ends = await this.#ends.fresh(published);
    return { events: this.#progress.behind(ends), head: Math.max(published, this.#progress.highest) };
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await this.#disconnect();
  }
}

/** Inert: no categories asked for, nothing to deliver, everything covered. */
const emptySubscription: BusSubscription = {
  covers: async () => true,
  lag: async () => ({ events: 0, head: 0 }),
  close: async () => undefined,
};

/**
 * A bus over Kafka. Each subscription is one kafkajs consumer in the subscription's group,
 * handing one partition's batch at a time to `onBatch`.
 */
export const createKafkaBus = (options: KafkaBusOptions): EventBus => {
  const brokers = brokerList(options.brokers);
  const logger = options.logger.child({ bus: 'kafka', component: 'kafka-bus' });
  const kafka = createKafkaClient(options);
  const admin = kafka.admin();
  let connected: Promise<Admin> | null = null;
  const shared: Shared = {
    kafka,
    brokers,
    logger,
    options,
    admin: () => {
      connected ??= admin.connect().then(
        () => admin,
        (error: unknown) => {
          connected = null;
          throw new Error(`kafka at ${brokers} does not answer: ${asError(error).message}`, { cause: error });
        },
      );
      return connected;
    },
  };
  const subscriptions = new Set<KafkaSubscription>();

  return {
    name: 'kafka',
    async subscribe(subscribeOptions, handlers) {
      const topics = topicsFor(options, [...new Set(subscribeOptions.categories)]);
      if (topics.length === 0) return emptySubscription;
      const subscription = new KafkaSubscription(shared, topics, subscribeOptions, handlers);
      try {
        await ensureTopics(await shared.admin(), topics, options);
        await subscription.start();
      } catch (error) {
        await subscription.close();
        throw new Error(`kafka at ${brokers}: cannot subscribe group ${subscribeOptions.group} to ${topics.join(', ')}: ${asError(error).message}`, {
          cause: error,
        });
      }
      subscriptions.add(subscription);
      logger.info({ group: subscribeOptions.group, topics, from: subscribeOptions.from.lanes }, 'kafka bus subscribed');
      return {
        covers: (position) => subscription.covers(position),
        lag: () => subscription.lag(),
        close: async () => {
          subscriptions.delete(subscription);
          await subscription.close();
        },
      };
    },
    async health() {
      try {
        await withTimeout(
          shared.admin().then((connectedAdmin) => connectedAdmin.describeCluster()),
          options.healthTimeoutMs ?? 2000,
          `kafka at ${brokers}`,
        );
        return { ok: true };
      } catch (error) {
        const message = asError(error).message;
        return { ok: false, reason: message.includes(brokers) ? message : `kafka at ${brokers}: ${message}` };
      }
    },
    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.close()));
      subscriptions.clear();
      connected = null;
      await admin.disconnect().catch(() => undefined);
    },
  };
};
