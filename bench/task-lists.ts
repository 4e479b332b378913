/**
 * Reads at 64 connections with 100,000 tasks and 1,000 instances stored:
 * `GET /api/v1/tasks?status=...&limit=100` (the status drawn per request) and
 * `GET /api/v1/instances/:id` (the id drawn per request), beside bare Koa answering the
 * same JSON (an answer Bosun gave) in alternating windows of the same run. On the
 * embedded store, then on MongoDB when MONGODB_URL is set.
 *
 * The log is appended straight to the embedded event store (as commands would write it,
 * without the workflows); Bosun projects it on its first start. For MongoDB the read
 * models Bosun built are copied with bulk inserts, with their checkpoints, into a database
 * of the run's own: projecting 300,000 events through FerretDB's upserts would take most of
 * an hour and measure nothing this benchmark is about.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { MongoClient } from 'mongodb';
import type { EventMetadata, NewEvent } from '../events/event-store.js';
import { instanceStream, taskStream } from '../events/streams.js';
import { openEmbeddedEventStore } from '../infra/embedded-event-store.js';
import { openEmbeddedReadStore } from '../infra/embedded-read-store.js';
import { uuidv7 } from '../infra/ids.js';
import { createLogger } from '../infra/logger.js';
import { openMongoReadStore, toStored, withDatabase } from '../infra/mongo-read-store.js';
import { readModelProjectors } from '../projections/read-models.js';
import type { ReadDocument } from '../projections/read-store.js';
import { pairedRatio, summarise, windowOf, type Window } from './load.js';
import { cpuProfiling, startServer, systemTeamOf, type ServerProcess } from './server-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'cli.js');
const adminKey = `bench-admin-${randomUUID()}`;
const logger = createLogger('info', 'stderr').child({ component: 'bench-task-lists' });

/** Of every 20 tasks: 12 completed, 3 failed, 2 running, 3 pending. */
const statusMix = (['completed', 'failed', 'running', 'pending'] as const).flatMap((status) =>
  Array.from({ length: { completed: 12, failed: 3, running: 2, pending: 3 }[status] }, () => status),
);
const listedStatuses = ['completed', 'failed', 'running', 'pending'] as const;

const metadata = (occurredAt: number): EventMetadata => ({
  actor: { type: 'api_key', id: 'key-bench' },
  correlation_id: randomUUID(),
  causation_id: null,
  request_id: randomUUID(),
  client_ip: '203.0.113.7',
  user_agent: 'bench/1.0',
  occurred_at: new Date(occurredAt).toISOString(),
  schema_version: 1,
});

const event = (tenant: string, type: string, data: object, at: number, schemaVersion = 1): NewEvent => ({
  id: uuidv7(),
  type,
  tenant,
  data,
  metadata: { ...metadata(at), schema_version: schemaVersion },
});

const instanceEvents = (tenant: string, instanceId: string, n: number, at: number): NewEvent[] => [
  event(
    tenant,
    'instance.deploy_requested',
    {
      instance_id: instanceId,
      name: `agent-${n}`,
      provider: 'local',
      spec: {
        skills: [{ name: 'git', version: '2.1.0' }],
        runtime_version: '1.4.0',
        settings: { log_level: 'info' },
        resources: { cpus: 2, memory_mb: 4096, ports: [], region: null },
        max_concurrent_tasks: 4,
      },
    },
    at,
  ),
  event(tenant, 'instance.provisioned', { endpoint: `http://10.0.${Math.floor(n / 250)}.${n % 250}:9000` }, at + 1000),
];

const taskEvents = (tenant: string, taskId: string, n: number, instanceIds: readonly string[], at: number): NewEvent[] => {
  const status = statusMix[n % statusMix.length] as (typeof statusMix)[number];
  const instanceId = instanceIds[n % instanceIds.length] as string;
  const submitted = event(
    tenant,
    'task.submitted',
    {
      task_id: taskId,
      kind: n % 3 === 0 ? 'shell' : 'echo',
      input: { message: `task ${n}` },
      instance_id: null,
      required_skills: [],
      timeout_seconds: 600,
      max_attempts: 1,
      retry_backoff_seconds: 0,
    },
    at,
    2,
  );
  if (status === 'pending') return [submitted];
  const running = [
    submitted,
    event(tenant, 'task.queued', { instance_id: instanceId, ack_deadline: new Date(at + 30_000).toISOString() }, at + 10),
    event(tenant, 'task.started', { instance_id: instanceId }, at + 20),
  ];
  if (status === 'running') return running;
  if (status === 'completed') return [...running, event(tenant, 'task.completed', { outputs: { message: `task ${n}`, lines: 3 } }, at + 900)];
  return [...running, event(tenant, 'task.failed', { error: { code: 'exit_code', message: 'the command exited with 1' } }, at + 900)];
};

/** Appends the fleet to the event store in `directory`, `inFlight` streams at a time, with progress. */
const seedLog = async (directory: string, tenant: string, tasks: number, instances: number): Promise<string[]> => {
  const store = openEmbeddedEventStore({ directory });
  const start = Date.now() - (tasks + instances) * 1000;
  const instanceIds = Array.from({ length: instances }, () => uuidv7());
  const inFlight = 256;
  try {
    for (let from = 0; from < instances; from += inFlight) {
      await Promise.all(
        instanceIds
          .slice(from, from + inFlight)
          .map((id, i) => store.append(instanceStream(id), instanceEvents(tenant, id, from + i, start + (from + i) * 1000), 'no_stream')),
      );
    }
    for (let from = 0; from < tasks; from += inFlight) {
      const batch = Array.from({ length: Math.min(inFlight, tasks - from) }, (_, i) => from + i);
      await Promise.all(
        batch.map((n) => {
          const id = uuidv7();
          return store.append(taskStream(id), taskEvents(tenant, id, n, instanceIds, start + (instances + n) * 1000), 'no_stream');
        }),
      );
      if ((from / inFlight) % 40 === 0) logger.info({ phase: 'seed', tasks_done: from + batch.length, of: tasks }, 'progress');
    }
  } finally {
    await store.close();
  }
  return instanceIds;
};

/**
 * Copies every read model Bosun built on the embedded store, and each projector's
 * checkpoint, into the MongoDB database at `url`: the documents as the adapter stores them.
 */
const copyReadModels = async (readModelsFile: string, url: string): Promise<void> => {
  const embedded = openEmbeddedReadStore({ file: readModelsFile, readonly: true });
  const mongo = openMongoReadStore({ url, logger });
  const client = new MongoClient(url);
  try {
    await mongo.prepare(readModelProjectors.flatMap((projector) => projector.collections));
    const db = client.db();
    for (const { name } of readModelProjectors.flatMap((projector) => projector.collections)) {
      const source = embedded.collection<ReadDocument>(name);
      let before: number | undefined;
      let copied = 0;
      for (;;) {
        const page = await source.list({}, { limit: 2000, ...(before === undefined ? {} : { before }) });
        if (page.length > 0) await db.collection(name).insertMany(page.map((doc) => toStored(doc)) as never[], { ordered: false });
        copied += page.length;
        if (page.length < 2000) break;
        before = page[page.length - 1]?.seq;
        if (copied % 20_000 === 0) logger.info({ phase: 'copy', collection: name, copied }, 'progress');
      }
      logger.info({ phase: 'copy', collection: name, copied }, 'copied');
    }
    const checkpoints = Object.fromEntries(
      await Promise.all(readModelProjectors.map(async (projector) => [projector.name, await embedded.checkpoint(projector.name)] as const)),
    );
    await mongo.commit([], checkpoints);
  } finally {
    await client.close();
    await mongo.close();
    await embedded.close();
  }
};

/** `seconds` of GETs at 64 connections, each request's path drawn by `pathOf`. */
const measure = async (url: string, pathOf: () => string, seconds: number): Promise<Window> => {
  const result = await autocannon({
    url,
    connections: 64,
    duration: seconds,
    headers: { authorization: `Bearer ${adminKey}` },
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: pathOf() }) }],
  });
  return windowOf(result);
};

const draw = <T>(values: readonly T[]): T => values[Math.floor(Math.random() * values.length)] as T;

/** Bosun's route and bare Koa answering the JSON Bosun gave for one of its paths, in alternating windows. */
const compare = async (bosun: string, pathOf: () => string, seconds: number, rounds: number) => {
  const sample = await fetch(`${bosun}${pathOf()}`, { headers: { authorization: `Bearer ${adminKey}` } });
  if (sample.status !== 200) throw new Error(`${pathOf()} answered ${sample.status}: ${await sample.text()}`);
  const body = await sample.text();
  const bodyFile = join(mkdtempSync(join(tmpdir(), 'bosun-bench-body-')), 'body.json');
  writeFileSync(bodyFile, body);
  const bare = await startServer(join(here, 'bare-koa.js'), [], { BARE_KOA_BODY_FILE: bodyFile }, '/');
  try {
    await measure(bosun, pathOf, 2);
    await measure(bare.url, pathOf, 2);
    const bosunWindows: Window[] = [];
    const bareWindows: Window[] = [];
    for (let round = 0; round < rounds; round++) {
      bosunWindows.push(await measure(bosun, pathOf, seconds));
      bareWindows.push(await measure(bare.url, pathOf, seconds));
    }
    return {
      answer_bytes: Buffer.byteLength(body),
      bosun: summarise(bosunWindows),
      bare_koa: summarise(bareWindows),
      vs_bare: pairedRatio(bosunWindows, bareWindows),
    };
  } finally {
    await bare.stop();
    rmSync(dirname(bodyFile), { recursive: true, force: true });
  }
};

/** The routes measured: all, or those BENCH_ROUTES names (`task_list,instance_get`), to profile one alone. */
const routesMeasured = (process.env.BENCH_ROUTES ?? 'task_list,instance_get').split(',');

const measureServer = async (server: ServerProcess, instanceIds: readonly string[], seconds: number, rounds: number) => {
  const paths: Record<string, () => string> = {
    task_list: () => `/api/v1/tasks?status=${draw(listedStatuses)}&limit=100`,
    instance_get: () => `/api/v1/instances/${draw(instanceIds)}`,
  };
  const figures: Record<string, Awaited<ReturnType<typeof compare>>> = {};
  for (const route of routesMeasured) {
    const pathOf = paths[route];
    if (!pathOf) throw new Error(`BENCH_ROUTES: no route ${route}; routes are ${Object.keys(paths).join(', ')}`);
    figures[route] = await compare(server.url, pathOf, seconds, rounds);
  }
  return figures;
};

export const benchTaskLists = async (
  tasks = Number(process.env.BENCH_TASKS ?? 100_000),
  instances = Number(process.env.BENCH_INSTANCES ?? 1_000),
  seconds = Number(process.env.BENCH_WINDOW_SECONDS ?? 5),
  rounds = Number(process.env.BENCH_ROUNDS ?? 3),
) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-task-lists-'));
  const env = {
    BOSUN_DATA_DIR: directory,
    BOSUN_WORKFLOWS: 'off',
    BOSUN_ADMIN_KEY: adminKey,
    BOSUN_RATE_LIMIT: '10000000',
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: '',
    MONGODB_URL: '',
  };
  const database = `bench_lists_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const mongoUrl = process.env.MONGODB_URL ? withDatabase(process.env.MONGODB_URL, database) : null;
  let server: ServerProcess | null = null;
  try {
    // The fleet is the system team's, whose admin key reads it.
    const instanceIds = await seedLog(directory, await systemTeamOf(cli, env, adminKey), tasks, instances);

    let started = performance.now();
    server = await startServer(cli, ['serve'], env, '/ready', { readyTimeoutMs: 900_000, nodeOptions: cpuProfiling });
    const projectedInS = Math.round((performance.now() - started) / 100) / 10;
    logger.info({ phase: 'embedded', projected_in_s: projectedInS }, 'measuring');
    const embedded = await measureServer(server, instanceIds, seconds, rounds);
    await server.stop();
    server = null;

    let mongodb: object | null = null;
    if (mongoUrl) {
      started = performance.now();
      await copyReadModels(join(directory, 'read-models.sqlite'), mongoUrl);
      const copiedInS = Math.round((performance.now() - started) / 100) / 10;
      server = await startServer(cli, ['serve'], { ...env, MONGODB_URL: mongoUrl }, '/ready', { readyTimeoutMs: 300_000 });
      logger.info({ phase: 'mongodb', copied_in_s: copiedInS }, 'measuring');
      mongodb = { copied_in_s: copiedInS, ...(await measureServer(server, instanceIds, seconds, rounds)) };
    }
    return {
      tasks,
      instances,
      connections: 64,
      windows: rounds,
      window_s: seconds,
      projected_on_start_s: projectedInS,
      embedded,
      mongodb,
      targets: { p99_ms_embedded: 20, list_vs_bare: 0.25 },
    };
  } finally {
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
    if (mongoUrl) {
      const client = new MongoClient(mongoUrl);
      await client
        .db()
        .dropDatabase()
        .finally(() => client.close());
    }
  }
};
