/**
 * The Kafka bus against plain kafkajs, in the same run on the same broker: events/s published
 * through createKafkaPublisher (batches of 500, as the relay publishes) and consumed through
 * createKafkaBus, next to kafkajs producing and consuming the same messages with no Bosun code.
 * Rounds alternate which goes first; each round uses fresh topics; the ratios are the medians
 * of the rounds' ratios. Requires KAFKA_BROKERS.
 *
 * Both producers are configured alike (idempotent, acks=-1, one request in flight), so the
 * ratio measures Bosun's own work: encoding events, headers, topic routing; on the consuming
 * side, decoding each value into an event and delivering batches. The plain consumer only
 * counts messages; both commit no offsets on the way.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel, Partitioners, type Message } from 'kafkajs';
import type { Logger } from 'pino';
import type { EventMetadata, RecordedEvent } from '../events/event-store.js';
import { categoryOfStream } from '../events/streams.js';
import { createKafkaBus } from '../infra/kafka-bus.js';
import { ensureTopics, kafkaLogCreator, topicOf } from '../infra/kafka-client.js';
import { createKafkaPublisher, toKafkaMessage } from '../infra/kafka-publisher.js';
import { createLogger } from '../infra/logger.js';
import { initialCheckpoint } from '../projections/read-store.js';
import { toWireEvent } from '../projections/wire-event.js';
import { median } from './statistics.js';

const categories = ['task', 'instance'] as const;
const publishBatch = 500;
const partitions = 3;

/** Shaped like what the log holds (an event a workflow caused: no HTTP request), ~500 bytes of wire JSON each, over 1000 streams. */
const buildEvents = (count: number): RecordedEvent[] => {
  const revisions = new Map<string, number>();
  return Array.from({ length: count }, (_, i) => {
    const stream = `${categories[i % 2]}-${String(i % 1000).padStart(8, '0')}-0000-7000-8000-000000000000`;
    const revision = revisions.get(stream) ?? 0;
    revisions.set(stream, revision + 1);
    const metadata: EventMetadata = {
      actor: { type: 'workflow', id: 'task-workflow' },
      correlation_id: randomUUID(),
      causation_id: null,
      request_id: null,
      client_ip: null,
      user_agent: null,
      occurred_at: new Date().toISOString(),
      schema_version: 1,
    };
    return {
      id: randomUUID(),
      type: 'task.submitted',
      tenant: 'team-bench',
      stream,
      revision,
      position: i + 1,
      data: { kind: 'echo', input: { n: i }, timeout_seconds: null },
      metadata,
    };
  });
};

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

type Rates = { publish: number; consume: number; consume_with_join_s: number };

const plainRun = async (kafka: Kafka, prefix: string, messages: readonly { topic: string; message: Message }[], logger: Logger): Promise<Rates> => {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    categories.map((c) => topicOf(prefix, c)),
    { partitions },
  );
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const started = process.hrtime.bigint();
  for (let i = 0; i < messages.length; i += publishBatch) {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of messages.slice(i, i + publishBatch)) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) });
  }
  const publish = messages.length / seconds(started);
  await producer.disconnect();
  logger.info({ side: 'plain', publish: Math.round(publish) }, 'kafka bench: published');

  const consumer = kafka.consumer({ groupId: `bench-plain-${randomUUID().slice(0, 8)}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: categories.map((c) => topicOf(prefix, c)), fromBeginning: true });
  let count = 0;
  let first: bigint | null = null;
  const subscribed = process.hrtime.bigint();
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        first ??= process.hrtime.bigint();
        count += batch.messages.length;
        if (count >= messages.length) resolve();
      },
    });
  });
  await done;
  const consume = messages.length / seconds(first ?? subscribed);
  const withJoin = seconds(subscribed);
  await consumer.disconnect();
  return { publish, consume, consume_with_join_s: withJoin };
};

const bosunRun = async (brokers: string[], prefix: string, events: readonly RecordedEvent[], logger: Logger): Promise<Rates> => {
  const options = { brokers, clientId: 'bosun-bench', topicPrefix: prefix, partitions, categories, logger };
  const publisher = await createKafkaPublisher(options);
  const started = process.hrtime.bigint();
  for (let i = 0; i < events.length; i += publishBatch) await publisher.publish(events.slice(i, i + publishBatch));
  const publish = events.length / seconds(started);
  await publisher.close();
  logger.info({ side: 'bosun', publish: Math.round(publish) }, 'kafka bench: published');

  const bus = createKafkaBus({ ...options, publishedThrough: async () => events.length });
  let count = 0;
  let first: bigint | null = null;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const subscribed = process.hrtime.bigint();
  const subscription = await bus.subscribe(
    { group: `bench-bosun-${randomUUID().slice(0, 8)}`, categories, from: initialCheckpoint },
    {
      onBatch: async (deliveries) => {
        first ??= process.hrtime.bigint();
        count += deliveries.length;
        if (count >= events.length) resolveDone();
      },
      onError: (error) => logger.error({ err: error }, 'kafka bench: subscription failed'),
    },
  );
  await done;
  const consume = events.length / seconds(first ?? subscribed);
  const withJoin = seconds(subscribed);
  await subscription.close();
  await bus.close();
  return { publish, consume, consume_with_join_s: withJoin };
};

export async function benchKafka(): Promise<Record<string, unknown>> {
  const brokers =
    process.env.KAFKA_BROKERS?.split(',')
      .map((b) => b.trim())
      .filter(Boolean) ?? [];
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS not set: start the engines with eval "$(node dist/cli.js engines up)"');
  const count = Number(process.env.BENCH_KAFKA_EVENTS ?? 50_000);
  const rounds = Number(process.env.BENCH_KAFKA_ROUNDS ?? 3);
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'stderr');
  const kafka = new Kafka({ brokers, clientId: 'plain-bench', logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) });
  const events = buildEvents(count);
  const bytes = events.reduce((sum, e) => sum + JSON.stringify(toWireEvent(e)).length, 0) / count;
  const runId = randomUUID().slice(0, 8);
  const prefixes: string[] = [];
  const results: { plain: Rates; bosun: Rates }[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const plainPrefix = `bench-plain-${runId}-${round}.`;
      const bosunPrefix = `bench-bosun-${runId}-${round}.`;
      prefixes.push(plainPrefix, bosunPrefix);
      // The plain side gets its messages ready-made: only kafkajs's work is timed.
      const messages = events.map((event) => ({ topic: topicOf(plainPrefix, categoryOfStream(event.stream)), message: toKafkaMessage(event) }));
      const plain = () => plainRun(kafka, plainPrefix, messages, logger);
      const bosun = () => bosunRun(brokers, bosunPrefix, events, logger);
      const result = round % 2 === 0 ? { plain: await plain(), bosun: await bosun() } : { bosun: await bosun(), plain: await plain() };
      logger.info({ round, plain: result.plain, bosun: result.bosun }, 'kafka bench: round');
      results.push(result);
    }
  } finally {
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => prefixes.some((prefix) => topic.startsWith(prefix)));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    await admin.disconnect();
  }
  const round = (n: number) => Math.round(n);
  const ratio = (n: number) => Math.round(n * 100) / 100;
  return {
    events: count,
    value_bytes: round(bytes),
    partitions,
    publish_batch: publishBatch,
    bosun_publish_events_per_s: round(median(results.map((r) => r.bosun.publish))),
    plain_publish_events_per_s: round(median(results.map((r) => r.plain.publish))),
    publish_ratio: ratio(median(results.map((r) => r.bosun.publish / r.plain.publish))),
    bosun_consume_events_per_s: round(median(results.map((r) => r.bosun.consume))),
    plain_consume_events_per_s: round(median(results.map((r) => r.plain.consume))),
    consume_ratio: ratio(median(results.map((r) => r.bosun.consume / r.plain.consume))),
    rounds: results.map((r) => ({
      bosun_publish: round(r.bosun.publish),
      plain_publish: round(r.plain.publish),
      bosun_consume: round(r.bosun.consume),
      plain_consume: round(r.plain.consume),
      bosun_consume_with_join_s: ratio(r.bosun.consume_with_join_s),
      plain_consume_with_join_s: ratio(r.plain.consume_with_join_s),
    })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify({ bench: 'kafka', ...(await benchKafka()) })}\n`);
}
