/**
 * Time travel on a long stream: one instance whose stream holds 10,000 events (deployed,
 * provisioned, then spec changes a second apart, appended straight to the embedded store),
 * read over HTTP as of random moments (by time and by position) beside plain GETs of the
 * same instance (its read model) in the same run, interleaved so both see the same machine.
 * The first read after the start, which folds the stream from its beginning, is reported apart.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventMetadata, NewEvent } from '../events/event-store.js';
import { instanceStream } from '../events/streams.js';
import { openEmbeddedEventStore } from '../infra/embedded-event-store.js';
import { uuidv7 } from '../infra/ids.js';
import { createLogger } from '../infra/logger.js';
import { startServer, systemTeamOf, type ServerProcess } from './server-process.js';
import { latencyDistribution } from './statistics.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');
const appendBatch = 500;

const spec = (timeout: number) => ({
  skills: [],
  runtime_version: '1.4.0',
  settings: { timeout },
  resources: { cpus: 2, memory_mb: null, ports: [], region: null },
  max_concurrent_tasks: 1,
});

/** The instance's whole stream: event `i` occurred `i` seconds after `start`. */
const instanceHistory = (tenant: string, instanceId: string, count: number, start: number): NewEvent[] => {
  const event = (i: number, type: string, data: object): NewEvent => ({
    id: uuidv7(),
    type,
    tenant,
    data,
    metadata: {
      actor: { type: 'api_key', id: 'key-bench' },
      correlation_id: randomUUID(),
      causation_id: null,
      request_id: randomUUID(),
      client_ip: '203.0.113.7',
      user_agent: 'bench/1.0',
      occurred_at: new Date(start + i * 1000).toISOString(),
      schema_version: 1,
    } satisfies EventMetadata,
  });
  return [
    event(0, 'instance.deploy_requested', { instance_id: instanceId, name: 'long-lived', provider: 'local', spec: spec(0) }),
    event(1, 'instance.provisioned', { endpoint: 'http://127.0.0.1:9000' }),
    ...Array.from({ length: count - 2 }, (_, i) => event(i + 2, 'instance.spec_changed', { spec: spec(i + 1) })),
  ];
};

const timed = async (url: string, key: string): Promise<number> => {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - started;
};

export const benchTimeTravel = async (count = Number(process.env.BENCH_STREAM_EVENTS ?? 10_000), reads = Number(process.env.BENCH_READS ?? 1000)) => {
  const logger = createLogger('info', 'stderr').child({ component: 'bench-time-travel' });
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-time-travel-'));
  const key = `bench-admin-${randomUUID()}`;
  const env = { BOSUN_DATA_DIR: directory, BOSUN_WORKFLOWS: 'off', BOSUN_ADMIN_KEY: key, BOSUN_RATE_LIMIT: '100000', LOG_LEVEL: 'warn' };
  let server: ServerProcess | null = null;
  try {
    // The instance is the system team's, whose admin key reads it.
    const teamId = await systemTeamOf(cli, env, key);

    const instanceId = uuidv7();
    const start = Date.now() - (count + 3600) * 1000;
    const history = instanceHistory(teamId, instanceId, count, start);
    const store = openEmbeddedEventStore({ directory });
    let first = 0;
    let last = 0;
    try {
      for (let from = 0; from < history.length; from += appendBatch) {
        ({ position: last } = await store.append(instanceStream(instanceId), history.slice(from, from + appendBatch), from === 0 ? 'no_stream' : from - 1));
        logger.info({ phase: 'append', done: Math.min(from + appendBatch, count), of: count }, 'progress');
      }
      first = (await store.readStream(instanceStream(instanceId), { maxCount: 1 }))[0]?.position ?? 0;
    } finally {
      await store.close();
    }

    server = await startServer(cli, ['serve'], env, '/ready', { readyTimeoutMs: 300_000 });
    const path = `${server.url}/api/v1/instances/${instanceId}`;
    const random = (low: number, high: number) => low + Math.floor(Math.random() * (high - low + 1));
    const byTime = () => `${path}?as_of=${encodeURIComponent(new Date(start + random(0, count - 1) * 1000 + 500).toISOString())}`;
    const byPosition = () => `${path}?as_of=${random(first, last)}`;
    // The first read after a start folds the whole stream; it leaves snapshots every 1,000 revisions.
    const firstRead = await timed(`${path}?as_of=${last}`, key);
    // Warm-up: JIT, the SQLite page cache.
    for (let i = 0; i < 20; i++) await Promise.all([timed(byTime(), key), timed(path, key)]);

    const samples = { as_of_time: [] as number[], as_of_position: [] as number[], plain_get: [] as number[] };
    for (let i = 0; i < reads; i++) {
      samples.as_of_time.push(await timed(byTime(), key));
      samples.as_of_position.push(await timed(byPosition(), key));
      samples.plain_get.push(await timed(path, key));
      if ((i + 1) % 200 === 0) logger.info({ phase: 'read', done: i + 1, of: reads }, 'progress');
    }
    const wholeStream = [] as number[];
    for (let i = 0; i < 50; i++) wholeStream.push(await timed(`${path}?as_of=${last}`, key));
    return {
      stream_events: count,
      reads_each: reads,
      as_of_time: latencyDistribution(samples.as_of_time),
      as_of_position: latencyDistribution(samples.as_of_position),
      as_of_whole_stream: latencyDistribution(wholeStream),
      as_of_first_read_after_start_ms: Math.round(firstRead),
      plain_get: latencyDistribution(samples.plain_get),
      target_p99_ms: 100,
    };
  } finally {
    await server?.stop();
    rmSync(directory, { recursive: true, force: true });
  }
};
