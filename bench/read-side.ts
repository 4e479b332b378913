/**
 * The read side, each figure beside its reference from the same run:
 * - rebuild of the task read model from the log (embedded; MongoDB when MONGODB_URL is set,
 *   on a smaller log sized for the server) next to just reading and decoding the log;
 * - time to /ready after a restart at a small and a large log (the second must not grow
 *   with the log: the read models resume from their checkpoints);
 * - append-to-visible lag under a steady rate (embedded; through Kafka into MongoDB when
 *   both are configured).
 * Logs are made of task histories (submitted, queued, started, completed), appended
 * straight to a fresh embedded store.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { loadEventSchemas } from '../events/event-schemas.js';
import type { EventMetadata, EventStore, NewEvent } from '../events/event-store.js';
import { taskStream } from '../events/streams.js';
import { withUpcasting } from '../events/upcasting-event-store.js';
import { openEmbeddedEventStore } from '../infra/embedded-event-store.js';
import { openEmbeddedReadStore } from '../infra/embedded-read-store.js';
import { uuidv7 } from '../infra/ids.js';
import { createKafkaBus } from '../infra/kafka-bus.js';
import { createKafkaPublisher } from '../infra/kafka-publisher.js';
import { databaseFromUrl, DEFAULT_BATCH_SIZE, DEFAULT_WRITE_CONCURRENCY, openMongoReadStore } from '../infra/mongo-read-store.js';
import { eventUpcasters } from '../infra/open-event-store.js';
import { ProjectionRunner } from '../projections/projection-runner.js';
import type { ReadDocument, ReadStore } from '../projections/read-store.js';
import { rebuildProjection } from '../projections/rebuild.js';
import { taskProjector } from '../projections/tasks/task-projector.js';
import { isolatedEngines } from './engines.js';
import { rawWrite, type Stored } from './mongo-read-store.js';
import { startServer } from './server-process.js';
import { percentile } from './statistics.js';

const logger = pino({ enabled: false });
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');

const metadata = (): EventMetadata => ({
  actor: { type: 'api_key', id: 'key-bench' },
  correlation_id: randomUUID(),
  causation_id: null,
  request_id: randomUUID(),
  client_ip: '203.0.113.7',
  user_agent: 'bench/1.0',
  occurred_at: new Date().toISOString(),
  schema_version: 1,
});

/** One task's whole history, as the command side would have appended it over its life. */
const taskHistory = (tenant: string): NewEvent[] => {
  const taskId = uuidv7();
  const instanceId = 'instance-bench';
  const event = (type: string, data: object, schemaVersion = 1): NewEvent => ({
    id: uuidv7(),
    type,
    tenant,
    data,
    metadata: { ...metadata(), schema_version: schemaVersion },
  });
  return [
    event(
      'task.submitted',
      {
        task_id: taskId,
        kind: 'echo',
        input: { message: 'x'.repeat(200) },
        instance_id: null,
        required_skills: [],
        timeout_seconds: null,
        max_attempts: 1,
        retry_backoff_seconds: 0,
      },
      2,
    ),
    event('task.queued', { instance_id: instanceId, ack_deadline: new Date(Date.now() + 30_000).toISOString() }),
    event('task.started', { instance_id: instanceId }),
    event('task.completed', { outputs: { ok: true } }),
  ];
};

/** Appends task histories until the log holds `count` events, 64 appends in flight. */
export const seedTaskLog = async (store: EventStore, count: number, tenant = 'team-bench'): Promise<void> => {
  let appended = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (appended < count) {
        appended += 4;
        const history = taskHistory(tenant);
        await store.append(taskStream((history[0]?.data as { task_id: string }).task_id), history, 'no_stream');
      }
    }),
  );
};

const withLog = async <T>(count: number, use: (directory: string, events: EventStore) => Promise<T>): Promise<T> => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-read-side-'));
  try {
    const raw = openEmbeddedEventStore({ directory });
    const events = withUpcasting(raw, loadEventSchemas(), eventUpcasters);
    try {
      await seedTaskLog(raw, count);
      return await use(directory, events);
    } finally {
      await events.close();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
};

/** Reads and decodes the whole log, pages as a rebuild reads them: the rebuild's ceiling. */
const readRate = async (events: EventStore): Promise<number> => {
  const started = process.hrtime.bigint();
  let count = 0;
  for (let after = 0; ;) {
    const page = await events.readAll({ after, maxCount: 2000 });
    if (page.length === 0) break;
    count += page.length;
    after = (page.at(-1) as { position: number }).position;
  }
  return count / seconds(started);
};

const rebuildRate = async (events: EventStore, store: ReadStore): Promise<number> => {
  const result = await rebuildProjection({ projector: taskProjector, events, store });
  return result.events / (result.ms / 1000);
};

const benchRebuild = async (count: number) =>
  withLog(count, async (directory, events) => {
    const read = await readRate(events);
    const store = openEmbeddedReadStore({ file: join(directory, 'rebuild.sqlite'), logger });
    const rebuilt = await rebuildRate(events, store);
    await store.close();
    return {
      events: count,
      read_decode_events_per_s: Math.round(read),
      rebuild_embedded_events_per_s: Math.round(rebuilt),
      rebuild_embedded_ratio: +(rebuilt / read).toFixed(2),
    };
  });

const benchRebuildMongo = async (url: string, count: number) =>
  withLog(count, async (_directory, events) => {
    const database = `bench_rebuild_${Date.now()}`;
    const store = openMongoReadStore({ url, database, logger });
    try {
      const read = await readRate(events);
      const rebuilt = await rebuildRate(events, store);
      return {
        events: count,
        read_decode_events_per_s: Math.round(read),
        rebuild_mongo_events_per_s: Math.round(rebuilt),
        rebuild_mongo_ratio: +(rebuilt / read).toFixed(3),
      };
    } finally {
      await store.drop(
        taskProjector.collections.map((spec) => spec.name),
        [taskProjector.name],
      );
      await store.close();
    }
  });

/**
 * Kafka into MongoDB: the log published to fresh topics, then the task projection consuming
 * them into a fresh database from offset 0 (events applied/s until caught up), next to the
 * same server's raw bulk upserts of the documents it produced (the plain driver, the
 * adapter's chunking and concurrency), in the same run.
 */
const benchKafkaToMongo = async (mongoUrl: string, brokers: string, count: number) =>
  withLog(count, async (_directory, events) => {
    const engines = isolatedEngines();
    const kafka = { brokers: [brokers], clientId: 'bench', topicPrefix: engines.env.KAFKA_TOPIC_PREFIX as string, partitions: 3, categories: ['task'], logger };
    const publisher = await createKafkaPublisher(kafka);
    let head = 0;
    for (let after = 0; ;) {
      const page = await events.readAll({ after, maxCount: 500 });
      if (page.length === 0) break;
      await publisher.publish(page);
      after = head = (page.at(-1) as { position: number }).position;
    }
    await publisher.close();
    const database = databaseFromUrl(engines.env.MONGODB_URL as string) as string;
    const store = openMongoReadStore({ url: mongoUrl, database, logger });
    const bus = createKafkaBus({ ...kafka, publishedThrough: async () => head });
    const runner = new ProjectionRunner({ group: `bench-${database}`, bus, store, projectors: [taskProjector], events, logger });
    const client = new MongoClient(mongoUrl);
    try {
      const started = process.hrtime.bigint();
      await runner.start();
      const applied = count / seconds(started);
      await runner.stop();
      const documents = (await client.db(database).collection<Stored>('tasks').find().toArray()).map(
        ({ _id, ...fields }) => ({ ...fields, id: _id }) as ReadDocument,
      );
      const raw = await rawWrite(client.db(database).collection<Stored>('raw_reference'), documents, DEFAULT_BATCH_SIZE, DEFAULT_WRITE_CONCURRENCY);
      return {
        events: count,
        documents: documents.length,
        kafka_to_mongo_events_per_s: Math.round(applied),
        raw_upsert_documents_per_s: Math.round(raw),
        ratio: +(applied / raw).toFixed(2),
      };
    } finally {
      await bus.close();
      await store.close();
      await client.close();
      await engines.drop();
    }
  });

/** Kafka into MongoDB alone, on BENCH_MONGO_EVENTS events (default 20,000); needs KAFKA_BROKERS and MONGODB_URL. */
export async function benchKafkaToMongoFigures(): Promise<object> {
  const { MONGODB_URL: mongoUrl, KAFKA_BROKERS: brokers } = process.env;
  if (!mongoUrl || !brokers) return { skipped: 'KAFKA_BROKERS or MONGODB_URL not set: start the engines with eval "$(node dist/cli.js engines up)"' };
  return { kafka_to_mongo: await benchKafkaToMongo(mongoUrl, brokers, Number(process.env.BENCH_MONGO_EVENTS ?? 20_000)) };
}

/** Starts Bosun on a seeded data directory, lets it catch up once, then measures a restart to /ready. */
const readyAfterRestart = async (count: number) =>
  withLog(count, async (directory, events) => {
    await events.close();
    const env = { BOSUN_DATA_DIR: directory, BOSUN_WORKFLOWS: 'off', LOG_LEVEL: 'warn', KAFKA_BROKERS: '', MONGODB_URL: '' };
    let started = process.hrtime.bigint();
    const first = await startServer(cli, ['serve'], env, '/ready', { readyTimeoutMs: 900_000 });
    const firstStart = seconds(started);
    await first.stop();
    started = process.hrtime.bigint();
    const second = await startServer(cli, ['serve'], env, '/ready', { readyTimeoutMs: 900_000 });
    const restart = seconds(started);
    await second.stop();
    return { events: count, first_start_s: +firstStart.toFixed(2), restart_to_ready_s: +restart.toFixed(2) };
  });

/**
 * One request on a keep-alive agent: the load generator shares the machine's cores with the
 * server, and `fetch` costs it enough to stall its own event loop for tens of milliseconds.
 */
const call = (agent: Agent, method: string, url: string, headers: Record<string, string>, body?: string) =>
  new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const sent = request(url, { method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString() }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(body);
  });

/**
 * Appends one task submission at a steady rate and times until X-Min-Position reads see it:
 * the whole round trip, and the part the server spent waiting for the read side (its
 * `Server-Timing: read-wait`), so a tail can be told apart from the HTTP path's.
 */
const visibleLag = async (url: string, key: string, perSecond: number, durationS: number) => {
  const lags: number[] = [];
  const waits: number[] = [];
  const interval = 1000 / perSecond;
  const deadline = Date.now() + durationS * 1000;
  const inFlight: Promise<void>[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const clientLoop = monitorEventLoopDelay({ resolution: 1 });
  clientLoop.enable();
  for (let next = Date.now(); next < deadline; next += interval) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      (async () => {
        const submitted = await call(
          agent,
          'POST',
          `${url}/api/v1/tasks`,
          { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          JSON.stringify({ kind: 'echo', input: { n: 1 } }),
        );
        const { id, position } = JSON.parse(submitted.body) as { id: string; position: number };
        const appendedAt = process.hrtime.bigint();
        const read = await call(agent, 'GET', `${url}/api/v1/tasks/${id}`, { Authorization: `Bearer ${key}`, 'X-Min-Position': String(position) });
        if (read.status !== 200) return;
        lags.push(Number(process.hrtime.bigint() - appendedAt) / 1e6);
        const waited = /read-wait;dur=([\d.]+)/.exec(String(read.headers['server-timing'] ?? ''));
        if (waited) waits.push(Number(waited[1]));
      })(),
    );
  }
  await Promise.all(inFlight);
  clientLoop.disable();
  agent.destroy();
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(metrics)?.[1] ?? NaN) * 1000;
  const ms = (values: number[], p: number) =>
    +percentile(
      values.sort((a, b) => a - b),
      p,
    ).toFixed(1);
  return {
    rate_per_s: perSecond,
    reads: lags.length,
    visible_p50_ms: ms(lags, 50),
    visible_p99_ms: ms(lags, 99),
    server_wait_p50_ms: ms(waits, 50),
    server_wait_p99_ms: ms(waits, 99),
    server_event_loop_delay_p99_ms: +gauge('nodejs_eventloop_lag_p99_seconds').toFixed(1),
    server_event_loop_delay_max_ms: +gauge('nodejs_eventloop_lag_max_seconds').toFixed(1),
    client_event_loop_delay_p99_ms: +(clientLoop.percentile(99) / 1e6).toFixed(1),
    client_event_loop_delay_max_ms: +(clientLoop.max / 1e6).toFixed(1),
  };
};

/** Bosun on a fresh log, with Kafka and MongoDB as asked (see {@link isolatedEngines}). */
const benchVisibleLag = async (wanted: { kafka: boolean; mongo: boolean }, perSecond: number) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-visible-'));
  const key = `bench-admin-${randomUUID()}`;
  const engines = isolatedEngines(wanted);
  const env = { BOSUN_DATA_DIR: directory, BOSUN_WORKFLOWS: 'off', BOSUN_ADMIN_KEY: key, BOSUN_RATE_LIMIT: '100000', LOG_LEVEL: 'warn', ...engines.env };
  const server = await startServer(cli, ['serve'], env, '/ready', { readyTimeoutMs: 120_000 });
  try {
    return await visibleLag(server.url, key, perSecond, Number(process.env.BENCH_SECONDS ?? 10));
  } finally {
    await server.stop();
    rmSync(directory, { recursive: true, force: true });
    await engines.drop();
  }
};

export async function benchReadSide(): Promise<object> {
  const large = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const small = Math.round(large / 10);
  const mongoUrl = process.env.MONGODB_URL;
  const figures: Record<string, unknown> = {};
  figures.rebuild = await benchRebuild(large);
  if (mongoUrl) figures.rebuild_mongo = await benchRebuildMongo(mongoUrl, Number(process.env.BENCH_MONGO_EVENTS ?? 20_000));
  if (mongoUrl && process.env.KAFKA_BROKERS) Object.assign(figures, await benchKafkaToMongoFigures());
  const readySmall = await readyAfterRestart(small);
  const readyLarge = await readyAfterRestart(large);
  figures.ready = { small: readySmall, large: readyLarge, ratio: +(readyLarge.restart_to_ready_s / readySmall.restart_to_ready_s).toFixed(2) };
  return { ...figures, ...(await benchVisibleLagFigures()) };
}

/**
 * Append-to-visible lag alone: embedded, and through Kafka into MongoDB when both are
 * configured (at each of BENCH_KAFKA_MONGO_RATES), broken down by running each engine
 * alone beside the embedded other at the highest rate (Kafka into the embedded read
 * store; the embedded bus into MongoDB).
 */
export async function benchVisibleLagFigures(): Promise<object> {
  const figures: Record<string, unknown> = { visible_embedded: await benchVisibleLag({ kafka: false, mongo: false }, 1000) };
  if (process.env.MONGODB_URL && process.env.KAFKA_BROKERS) {
    const rates = (process.env.BENCH_KAFKA_MONGO_RATES ?? '50,100').split(',').map(Number);
    figures.visible_kafka_mongo = [];
    for (const rate of rates) (figures.visible_kafka_mongo as object[]).push(await benchVisibleLag({ kafka: true, mongo: true }, rate));
    const top = Math.max(...rates);
    figures.visible_kafka_only = await benchVisibleLag({ kafka: true, mongo: false }, top);
    figures.visible_mongo_only = await benchVisibleLag({ kafka: false, mongo: true }, top);
  }
  return figures;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify({ bench: 'read-side', ...(await benchReadSide()) })}\n`);
}
