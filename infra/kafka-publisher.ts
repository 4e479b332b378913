/**
 * Publishes the log's events to Kafka for the relay: one topic per aggregate category, keyed
 * by stream id (a stream stays in one partition, in order), the value the wire event's JSON.
 */
import { Partitioners, type Admin, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { RecordedEvent } from '../events/event-store.js';
import { categoryOfStream } from '../events/streams.js';
import type { BusPublisher } from '../projections/event-bus.js';
import { toWireEvent } from '../projections/wire-event.js';
import {
  brokerList,
  createKafkaClient,
  defaultTopicPrefix,
  ensureTopics,
  topicOf,
  topicsFor,
  type KafkaConnectionOptions,
  type KafkaTopicOptions,
} from './kafka-client.js';

export type KafkaPublisherOptions = KafkaConnectionOptions & KafkaTopicOptions;

/**
 * Bytes of values per produce request. A partition's share of a request is one record batch,
 * which the broker refuses past `message.max.bytes` (1 MiB by default).
 */
const maxRequestBytes = 512 * 1024;

export const toKafkaMessage = (event: RecordedEvent): Message => ({
  key: event.stream,
  value: JSON.stringify(toWireEvent(event)),
  headers: {
    'event-type': event.type,
    'schema-version': String(event.metadata.schema_version),
    position: String(event.position),
    revision: String(event.revision),
    tenant: event.tenant,
    'event-id': event.id,
    stream: event.stream,
  },
});

/** Splits events, in order, into requests of at most `maxRequestBytes` of values each. */
const requests = (events: readonly RecordedEvent[], prefix: string): { topicMessages: TopicMessages[]; topics: Set<string> }[] => {
  const out: { topicMessages: TopicMessages[]; topics: Set<string> }[] = [];
  let byTopic = new Map<string, Message[]>();
  let bytes = 0;
  const close = () => {
    if (byTopic.size === 0) return;
    out.push({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })), topics: new Set(byTopic.keys()) });
    byTopic = new Map();
    bytes = 0;
  };
  for (const event of events) {
    const message = toKafkaMessage(event);
    const size = (message.value as string).length;
    if (bytes > 0 && bytes + size > maxRequestBytes) close();
    const topic = topicOf(prefix, categoryOfStream(event.stream));
    const messages = byTopic.get(topic);
    if (messages) messages.push(message);
    else byTopic.set(topic, [message]);
    bytes += size;
  }
  close();
  return out;
};

/**
 * Connects an idempotent producer and creates the categories' topics. When Kafka does not answer
 * yet, the publisher is still returned: the first `publish` tries again (and fails, for the relay
 * to retry), so Bosun starts and accepts commands while the bus is down.
 */
export const createKafkaPublisher = async (options: KafkaPublisherOptions): Promise<BusPublisher> => {
  const brokers = brokerList(options.brokers);
  const logger = options.logger.child({ bus: 'kafka', component: 'kafka-publisher' });
  const prefix = options.topicPrefix ?? defaultTopicPrefix;
  const kafka = createKafkaClient(options);
  const producer: Producer = kafka.producer({
    idempotent: true,
    // One request in flight per broker keeps each partition in publish order across retries.
    maxInFlightRequests: 1,
    // Topics are made here with their partitions and retention, never with the broker's defaults.
    allowAutoTopicCreation: false,
    // Java's partitioner (murmur2 of the key): other clients place a stream's events alike.
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  const admin: Admin = kafka.admin();
  /** Topics known to exist; others are created before their first message. */
  const ready = new Set<string>();
  let connected: Promise<void> | null = null;
  let closed = false;

  const connect = (): Promise<void> => {
    connected ??= (async () => {
      await admin.connect();
      await producer.connect();
    })().catch((error: unknown) => {
      connected = null;
      throw error;
    });
    return connected;
  };

  const prepare = async (topics: Iterable<string>): Promise<void> => {
    await connect();
    const missing = [...topics].filter((topic) => !ready.has(topic));
    if (missing.length === 0) return;
    await ensureTopics(admin, missing, options);
    for (const topic of missing) ready.add(topic);
  };

  try {
    await prepare(topicsFor(options));
    logger.info({ brokers, topics: [...ready] }, 'kafka publisher ready');
  } catch (error) {
    logger.warn({ err: error, brokers }, 'kafka does not answer yet; the first publish tries again');
  }

  return {
    async publish(events) {
      if (closed) throw new Error(`kafka publisher (${brokers}) is closed`);
      if (events.length === 0) return;
      try {
        for (const request of requests(events, prefix)) {
          await prepare(request.topics);
          // acks -1: resolved once every in-sync replica has the messages.
          await producer.sendBatch({ topicMessages: request.topicMessages, acks: -1 });
        }
      } catch (error) {
        const first = (events[0] as RecordedEvent).position;
        const last = (events.at(-1) as RecordedEvent).position;
        throw new Error(`kafka at ${brokers}: cannot publish positions ${first}..${last}: ${(error as Error).message}`, { cause: error });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
};
