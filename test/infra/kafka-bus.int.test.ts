import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import t from 'tap';
import type { NewEvent, RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { createKafkaBus } from '../../infra/kafka-bus.js';
import { EndOffsetCache, LaneProgress, type EndOffsets } from '../../infra/kafka-coverage.js';
import { createKafkaPublisher } from '../../infra/kafka-publisher.js';
import { createLogger } from '../../infra/logger.js';
import type { Delivery } from '../../projections/event-bus.js';
import { initialCheckpoint } from '../../projections/read-store.js';
import { testMetadata } from '../events/event-metadata.js';
import { eventBusContract, gate, recorder, until, type BusWrite } from '../projections/event-bus.contract.js';

const brokers =
  process.env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean) ?? [];
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn', 'stderr');

const ids = (events: readonly RecordedEvent[]) => events.map((e) => e.id).sort();

const event = (n: number): NewEvent => ({ id: randomUUID(), type: 'int.happened', tenant: 'team-a', data: { n }, metadata: testMetadata() });

/** Deletes the topics of one run's prefix: tests leave nothing on a shared broker. */
const deleteTopics = async (prefix: string) => {
  const kafka = new Kafka({ brokers, clientId: 'bosun-test-cleanup', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
};

/**
 * A log (the embedded store, for real positions), the publisher the relay uses, and a bus whose
 * publishedThrough is the highest position published so far; topics unique to this fixture.
 */
const makeKafka = async (partitions = 3) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-kafka-bus-'));
  const store = openEmbeddedEventStore({ directory });
  const topicPrefix = `bosun-test-${randomUUID().slice(0, 8)}.`;
  const options = { brokers, clientId: 'bosun-test', topicPrefix, partitions, logger };
  const publisher = await createKafkaPublisher(options);
  let published = 0;
  const bus = createKafkaBus({ ...options, publishedThrough: async () => published });
  const publish = async (events: readonly RecordedEvent[]) => {
    await publisher.publish(events);
    published = Math.max(published, ...events.map((e) => e.position));
  };
  const append = async (writes: readonly BusWrite[]): Promise<RecordedEvent[]> => {
    const after = await store.headPosition();
    for (const { stream, count } of writes)
      await store.append(
        stream,
        Array.from({ length: count }, (_, n) => event(n)),
        'any',
      );
    const events = await store.readAll({ after, maxCount: 100_000 });
    await publish(events);
    return events;
  };
  const cleanup = async () => {
    await bus.close();
    await publisher.close();
    await store.close();
    rmSync(directory, { recursive: true, force: true });
    await deleteTopics(topicPrefix);
  };
  return { bus, publisher, store, append, publish, cleanup, topicPrefix };
};

/** The partition kafkajs's default partitioner (Java's murmur2) puts `key` in. */
const partitionOf = (key: string, partitions: number): number =>
  Partitioners.DefaultPartitioner()({
    topic: 'any',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 })),
    message: { key, value: null },
  });

// The covering rule and the end-offset cache need no broker: these run everywhere.
t.test('kafka coverage: a lane counts when a position at or past p was handled in it, or it is handled to its end', async (t) => {
  const ends = (lanes: Record<string, [number, number]>, validFor = 100): EndOffsets => ({
    validFor,
    lanes: new Map(Object.entries(lanes).map(([lane, [low, high]]) => [lane, { low, high }])),
  });
  const progress = new LaneProgress({ 't.task/0': 4, 'other.task/0': 9 }, ['t.task']);
  t.equal(progress.offset('other.task/0'), undefined, 'lanes of other topics are ignored');
  t.ok(progress.covers(10, ends({ 't.task/0': [0, 5], 't.task/1': [0, 0] })), 'checkpointed to its end; an empty partition');
  t.notOk(progress.covers(10, ends({ 't.task/0': [0, 6] })), 'one message past the checkpoint');
  progress.handled('t.task/1', 2, 12);
  t.ok(progress.covers(12, ends({ 't.task/0': [0, 5], 't.task/1': [0, 9] })), 'position 12 handled in lane 1 covers it there, whatever its end');
  t.notOk(progress.covers(13, ends({ 't.task/0': [0, 5], 't.task/1': [0, 9] })), 'not 13');
  t.ok(progress.coveredByPositions(3, ['t.task/1']));
  t.notOk(progress.coveredByPositions(3, ['t.task/0', 't.task/1']), 'a lane known only by offset needs the ends');
  t.equal(progress.behind(ends({ 't.task/0': [0, 5], 't.task/1': [0, 9], 't.task/2': [3, 7] })), 0 + 6 + 4);
  t.equal(progress.highest, 12);
});

t.test('kafka coverage: end offsets are shared by concurrent callers and reused for every position they are valid for', async (t) => {
  let fetches = 0;
  let fail = false;
  const cache = new EndOffsetCache(async (validFor) => {
    fetches++;
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (fail) throw new Error('broker gone');
    return { validFor, lanes: new Map([['t/0', { low: 0, high: validFor }]]) };
  });
  const burst = await Promise.all(Array.from({ length: 50 }, (_, i) => cache.for(10 + (i % 5), 20)));
  t.equal(fetches, 1, 'one fetch for a burst');
  t.ok(burst.every((ends) => ends.validFor === 20));
  await cache.for(20, 25);
  t.equal(fetches, 1, 'valid for 20: no new fetch');
  t.equal((await cache.for(21, 25)).validFor, 25, 'a higher position needs ends fetched after it was published');
  t.equal(fetches, 2);
  t.same(cache.lanes, ['t/0']);
  fail = true;
  await t.rejects(cache.for(30, 30), /broker gone/);
  fail = false;
  t.equal((await cache.for(30, 31)).validFor, 31, 'a failed fetch is forgotten');
  t.equal(fetches, 4);
});

if (brokers.length === 0) {
  t.test('kafka: event-bus contract', { skip: 'KAFKA_BROKERS not set: start the engines with eval "$(node dist/cli.js engines up)"' }, () => {});
} else {
  eventBusContract(t, 'kafka', async () => {
    const { bus, append, cleanup } = await makeKafka();
    return { bus, append, cleanup };
  });

  t.test('kafka: covers waits for a slow partition holding a lower position', async (t) => {
    const kafka = await makeKafka(3);
    t.teardown(kafka.cleanup);
    const streamIn = (partition: number) => {
      for (;;) {
        const stream = `task-${randomUUID()}`;
        if (partitionOf(stream, 3) === partition) return stream;
      }
    };
    // Two streams in two partitions, their events interleaved in the log: 1 in one, 2 in the other, 3 in the first...
    const streams = [streamIn(0), streamIn(2)];
    const events: RecordedEvent[] = [];
    for (let i = 0; i < 6; i++) events.push(...(await kafka.append([{ stream: streams[i % 2] as string, count: 1 }])));
    const top = (events.at(-1) as RecordedEvent).position;
    // The broker decides which partition a fetch answers first; the other one is made slow:
    // its batch is held in the handler while the first one's, with higher positions, is handled.
    const held = gate();
    let fastLane: string | null = null;
    let slowBatch: readonly Delivery[] | null = null;
    const received = recorder();
    const subscription = await kafka.bus.subscribe(
      { group: `slow-${randomUUID().slice(0, 8)}`, categories: ['task'], from: initialCheckpoint },
      received.handlers(async (batch: readonly Delivery[]) => {
        const lane = (batch[0] as Delivery).lane;
        fastLane ??= lane;
        if (lane === fastLane) return;
        slowBatch = batch;
        await held.opened;
      }),
    );
    await until(() => slowBatch !== null, 'a batch of the slow partition in the handler');
    const waiting = Math.min(...(slowBatch as unknown as Delivery[]).map((d) => d.event.position));
    const handled = received.deliveries.map((d) => d.event.position);
    t.ok(
      handled.some((position) => position > waiting),
      `higher positions (${handled.join(',')}) were handled in ${fastLane} while ${waiting} waits in the slow partition`,
    );
    t.equal(await subscription.covers(waiting), false, `covers(${waiting}) is false while ${waiting} waits in the slow partition`);
    t.equal(await subscription.covers(Math.max(...handled)), false, `covers(${Math.max(...handled)}), the highest handled, too`);
    t.equal(await subscription.covers(top), false, `covers(${top}) too`);
    held.open();
    await until(() => subscription.covers(waiting), `covers(${waiting}) once handled`);
    await until(() => subscription.covers(top), `covers(${top})`);
    t.strictSame(ids(received.deliveries.map((d) => d.event)), ids(events), 'each event once');
    t.equal(received.maxActive, 1);
  });

  t.test('kafka: messages carry the stream as key, the wire event as value, and headers', async (t) => {
    const kafka = await makeKafka(3);
    t.teardown(kafka.cleanup);
    const [recorded] = await kafka.append([{ stream: `instance-${randomUUID()}`, count: 1 }]);
    const event = recorded as RecordedEvent;
    const client = new Kafka({ brokers, clientId: 'bosun-test-reader', logLevel: logLevel.NOTHING });
    const consumer = client.consumer({ groupId: `reader-${randomUUID().slice(0, 8)}` });
    t.teardown(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topics: [`${kafka.topicPrefix}instance`], fromBeginning: true });
    type Seen = { key: string; value: unknown; headers: Record<string, string> };
    const seen: Seen[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
        seen.push({ key: String(message.key), value: JSON.parse(String(message.value)), headers });
      },
    });
    await until(() => seen.length > 0, 'the message');
    t.equal(seen.length, 1);
    t.match(seen[0], {
      key: event.stream,
      value: {
        id: event.id,
        type: event.type,
        stream: event.stream,
        revision: 0,
        position: event.position,
        schema_version: 1,
        tenant: 'team-a',
        data: { n: 0 },
      },
      headers: {
        'event-type': event.type,
        'schema-version': '1',
        position: String(event.position),
        revision: '0',
        tenant: 'team-a',
        'event-id': event.id,
        stream: event.stream,
      },
    });
  });

  t.test('kafka: a publish to brokers that do not answer fails within seconds, naming them', async (t) => {
    const publisher = await createKafkaPublisher({ brokers: ['127.0.0.1:1'], clientId: 'bosun-test', topicPrefix: 'bosun-test-down.', logger });
    t.teardown(() => publisher.close());
    const started = Date.now();
    const [recorded] = await (async () => {
      const directory = mkdtempSync(join(tmpdir(), 'bosun-kafka-down-'));
      const store = openEmbeddedEventStore({ directory });
      await store.append('task-1', [event(0)], 'no_stream');
      const events = await store.readAll();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
      return events;
    })();
    const error = await publisher.publish([recorded as RecordedEvent]).then(
      () => null,
      (e: unknown) => e as Error,
    );
    t.ok(error, 'rejected');
    t.match(error?.message, /127\.0\.0\.1:1/, 'names the brokers');
    t.ok(Date.now() - started < 30_000, `within ${Date.now() - started} ms`);
    const bus = createKafkaBus({ brokers: ['127.0.0.1:1'], clientId: 'bosun-test', logger, publishedThrough: async () => 0, healthTimeoutMs: 500 });
    t.teardown(() => bus.close());
    const health = await bus.health();
    t.equal(health.ok, false);
    t.match(health.reason, /127\.0\.0\.1:1/);
    const real = createKafkaBus({ brokers, clientId: 'bosun-test', logger, publishedThrough: async () => 0 });
    t.teardown(() => real.close());
    t.same(await real.health(), { ok: true }, 'the real one answers');
  });
}
