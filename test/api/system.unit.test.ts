import type { AddressInfo } from 'node:net';
import pino from 'pino';
import t, { type Test } from 'tap';
import { createApp, type AppDeps } from '../../api/app.js';
import { readSideCheck, type DependencyCheck } from '../../api/routes/system.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import { WrongExpectedRevisionError, type EventStore, type RecordedEvent } from '../../events/event-store.js';
import { instrumentEventStore } from '../../infra/event-store-metrics.js';
import { createMetrics, type Metrics } from '../../infra/metrics.js';
import type { ProjectionFailure, ProjectionRunner, RunnerStatus } from '../../projections/projection-runner.js';
import { ReadSide, type ReadSideReport } from '../../projections/read-side.js';
import type { Relay, RelayStatus } from '../../projections/relay.js';
import { testMetadata } from '../events/event-metadata.js';

const logger = pino({ enabled: false });
const schemas = loadEventSchemas();

/** A log of `head` events, the first unapplied one written `ageMs` ago: all ReadSide reads of it. */
const fakeLog = (state: { head: number; ageMs?: number }): EventStore =>
  ({
    headPosition: async () => state.head,
    readAll: async ({ after = 0 } = {}) =>
      after < state.head
        ? [
            {
              id: 'e',
              type: 'task.submitted',
              tenant: 't',
              stream: 'task-1',
              revision: 0,
              position: after + 1,
              data: {},
              metadata: { ...testMetadata(), occurred_at: new Date(Date.now() - (state.ageMs ?? 0)).toISOString() },
            } as RecordedEvent,
          ]
        : [],
  }) as unknown as EventStore;

type RunnerState = { position: number; caughtUp: boolean; error: string | null; failure?: ProjectionFailure | null };

/** A runner with two projections whose checkpoints are at `position`. */
const fakeRunner = (state: RunnerState): ProjectionRunner =>
  ({
    status: (): RunnerStatus => ({
      position: state.position,
      resumedFrom: 0,
      caughtUp: state.caughtUp,
      error: state.error,
      projections: ['task', 'instance'].map((name) => ({
        name,
        state: name === 'task' && state.failure ? 'stopped' : state.caughtUp ? 'live' : 'catching_up',
        checkpoint: { position: state.position, lanes: {} },
        failure: name === 'task' ? (state.failure ?? null) : null,
      })),
    }),
    waitFor: async (position: number) => position <= state.position,
    onCommitted: () => undefined,
  }) as unknown as ProjectionRunner;

const fakeRelay = (status: RelayStatus): Relay => ({ status: async () => status }) as unknown as Relay;

type Setup = {
  log?: { head: number; ageMs?: number };
  runner?: RunnerState;
  relay?: Relay | null;
  started?: boolean;
  dependencies?: readonly DependencyCheck[];
  metrics?: Metrics | null;
};

/** Stands for what the system routes never use: any property or call gives itself back. */
const inert: unknown = new Proxy(() => undefined, { get: (_, key) => (key === 'then' ? undefined : inert), apply: () => inert });

/** createApp with fakes for everything the system routes do not touch, listening on a free port. */
const serve = async (t: Test, setup: Setup = {}) => {
  const log = setup.log ?? { head: 10 };
  const runner = setup.runner ?? { position: log.head, caughtUp: true, error: null };
  const readSide = new ReadSide(fakeLog(log), [{ name: 'read_models', bus: 'embedded', runner: fakeRunner(runner) }], setup.relay ?? null);
  const deps = {
    commands: { store: fakeLog(log), schemas, env: { now: () => new Date(), newId: () => 'id' } },
    schemas,
    readStore: inert,
    lookups: inert,
    readSide,
    logger,
    rateLimit: { perSecond: 1000 },
    readWaitMs: 0,
    providers: ['local'],
    started: () => setup.started ?? true,
    agents: { heartbeats: inert, dispatch: inert, drift: inert },
    refusals: inert,
    keyUsage: inert,
    dependencies: setup.dependencies ?? [],
    metrics: setup.metrics === undefined ? createMetrics() : setup.metrics,
    readyCheckTimeoutMs: 200,
  } as unknown as AppDeps;
  const server = createApp(deps).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    log,
    runner,
    get: async (path: string) => {
      const response = await fetch(`${url}${path}`);
      const text = await response.text();
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        text,
        body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null,
      };
    },
  };
};

const ok = async () => ({ ok: true });

t.test('/health answers 200 while the process serves, ready or not', async (t) => {
  const app = await serve(t, { started: false, dependencies: [{ name: 'kafka', check: async () => ({ ok: false, reason: 'down' }) }] });
  const health = await app.get('/health');
  t.equal(health.status, 200);
  t.same(health.body, { status: 'ok' });
});

t.test('/ready is 200 when started, the read side is current and every dependency answers', async (t) => {
  const app = await serve(t, {
    dependencies: [
      { name: 'event_store', check: ok },
      { name: 'temporal', check: ok },
    ],
  });
  const ready = await app.get('/ready');
  t.equal(ready.status, 200);
  t.same(ready.body, { status: 'ready', checks: { startup: { ok: true }, read_side: { ok: true }, event_store: { ok: true }, temporal: { ok: true } } });
});

t.test('/ready is 503 naming a dependency that fails, throws or hangs', async (t) => {
  const app = await serve(t, {
    dependencies: [
      { name: 'event_store', check: ok },
      { name: 'kafka', check: async () => ({ ok: false, reason: 'no broker answers' }) },
      {
        name: 'mongodb',
        check: async () => {
          throw new Error('connection refused');
        },
      },
      { name: 'temporal', check: () => new Promise(() => undefined) },
    ],
  });
  const started = Date.now();
  const ready = await app.get('/ready');
  t.ok(Date.now() - started < 2000, 'a hanging check is cut at its timeout');
  t.equal(ready.status, 503);
  t.equal(ready.body.status, 'not_ready');
  t.same(ready.body.checks.event_store, { ok: true });
  t.same(ready.body.checks.kafka, { ok: false, reason: 'no broker answers' });
  t.same(ready.body.checks.mongodb, { ok: false, reason: 'connection refused' });
  t.same(ready.body.checks.temporal, { ok: false, reason: 'no answer within 200 ms' });
  t.same(ready.body.checks.read_side, { ok: true });
});

t.test('/ready is 503 until start-up finished', async (t) => {
  const ready = await (await serve(t, { started: false })).get('/ready');
  t.equal(ready.status, 503);
  t.same(ready.body.checks.startup, { ok: false, reason: 'start-up has not finished' });
});

t.test('/ready is 503 naming what keeps the read side back', async (t) => {
  t.test('catching up', async (t) => {
    const ready = await (await serve(t, { log: { head: 1300 }, runner: { position: 100, caughtUp: false, error: null } })).get('/ready');
    t.equal(ready.status, 503);
    t.match(ready.body.checks.read_side.reason, /projection task \(read_models\) is catching up, 1200 events behind/);
  });
  t.test('a runner that cannot consume', async (t) => {
    const ready = await (await serve(t, { runner: { position: 10, caughtUp: true, error: 'bus down' } })).get('/ready');
    t.equal(ready.status, 503);
    t.match(ready.body.checks.read_side.reason, /runner read_models: bus down/);
  });
  t.test('a projection stopped on an event', async (t) => {
    const failure = { event_id: 'ev-1', event_type: 'task.submitted', stream: 'task-1', position: 7, error: 'boom' };
    const ready = await (await serve(t, { log: { head: 10 }, runner: { position: 6, caughtUp: true, error: null, failure } })).get('/ready');
    t.equal(ready.status, 503);
    t.match(ready.body.checks.read_side.reason, 'projection task (read_models) stopped at event ev-1 (task.submitted, position 7): boom');
  });
  t.test('live but far behind', async (t) => {
    const ready = await (await serve(t, { log: { head: 50, ageMs: 45_000 }, runner: { position: 20, caughtUp: true, error: null } })).get('/ready');
    t.equal(ready.status, 503);
    t.match(ready.body.checks.read_side.reason, /projection task \(read_models\) is 30 events \(45 s\) behind/);
  });
});

t.test('readSideCheck: a short lag of a live projection is fine', async (t) => {
  const report: ReadSideReport = {
    caught_up: true,
    errors: [],
    relay: null,
    projections: [
      { name: 'task', runner: 'read_models', bus: 'kafka', state: 'live', checkpoint_position: 5, log_head: 9, lag_events: 4, lag_ms: 300, failure: null },
    ],
  };
  t.same(readSideCheck(report), { ok: true });
  t.same(readSideCheck({ ...report, relay: { published: 5, head: 9, lag_events: 4, state: 'retrying', error: 'broker gone' } }), {
    ok: false,
    reason: 'relay: broker gone',
  });
});

const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const found = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    const set = Object.fromEntries([...(found?.[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => set[key] === value)) return Number(found?.[2]);
  }
  return undefined;
};

t.test('/metrics', async (t) => {
  t.test('HTTP durations by route template, process metrics, read-side gauges', async (t) => {
    const app = await serve(t, { log: { head: 40 }, runner: { position: 30, caughtUp: true, error: null } });
    await app.get('/health');
    await app.get('/health');
    await app.get('/api/v1/tasks/task-0191');
    await app.get('/nowhere/at/all');
    const scraped = await app.get('/metrics');
    t.equal(scraped.status, 200);
    t.match(scraped.type, /^text\/plain; version=0\.0\.4/);
    const text = scraped.text;
    t.equal(sample(text, 'bosun_http_request_duration_seconds_count', { method: 'GET', route: '/health', status: '200' }), 2);
    // Authentication answered (401), yet the label is the route's template, never the URL with its id.
    t.equal(sample(text, 'bosun_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/tasks/:id', status: '401' }), 1);
    t.notOk(text.includes('task-0191'), 'no id in any label');
    t.equal(sample(text, 'bosun_http_request_duration_seconds_count', { route: 'unmatched', status: '404' }), 1);
    t.ok(sample(text, 'process_cpu_user_seconds_total')! >= 0, 'default process metrics');
    t.ok(text.includes('nodejs_eventloop_lag_seconds'));
    t.equal(sample(text, 'bosun_projection_lag_events', { projection: 'task', runner: 'read_models' }), 10);
    t.equal(sample(text, 'bosun_projection_checkpoint_position', { projection: 'instance', runner: 'read_models' }), 30);
    t.equal(sample(text, 'bosun_projection_up', { projection: 'task', runner: 'read_models' }), 1);
    t.ok(sample(text, 'bosun_projection_lag_seconds', { projection: 'task', runner: 'read_models' })! >= 0);
    t.equal(sample(text, 'bosun_log_head_position'), 40);
    t.notOk(text.includes('bosun_relay_'), 'no relay gauges without a relay');
    t.ok(text.includes('# TYPE bosun_event_store_append_duration_seconds histogram'));
  });

  t.test('a projection catching up is not up; the relay has its gauges', async (t) => {
    const relay = fakeRelay({ published: 35, head: 40, lag_events: 5, state: 'publishing', error: null });
    const app = await serve(t, { log: { head: 40 }, runner: { position: 30, caughtUp: false, error: null }, relay });
    const text = (await app.get('/metrics')).text;
    t.equal(sample(text, 'bosun_projection_up', { projection: 'task', runner: 'read_models' }), 0);
    t.equal(sample(text, 'bosun_relay_lag_events'), 5);
    t.equal(sample(text, 'bosun_relay_published_position'), 35);
  });

  t.test('each app has its own registry', async (t) => {
    const first = await serve(t);
    const second = await serve(t);
    await first.get('/health');
    t.equal(sample((await second.get('/metrics')).text, 'bosun_http_request_duration_seconds_count', { route: '/health' }), undefined);
  });

  t.test('off: no /metrics route', async (t) => {
    const app = await serve(t, { metrics: null });
    t.equal((await app.get('/metrics')).status, 404);
  });
});

t.test('instrumentEventStore times appends by outcome and passes everything through', async (t) => {
  const metrics = createMetrics();
  let calls = 0;
  const inner = {
    append: async (stream: string) => {
      calls++;
      if (stream === 'conflict') throw new WrongExpectedRevisionError(stream, 0, 3);
      if (stream === 'broken') throw new Error('disk full');
      return { revision: 0, position: 1 };
    },
    headPosition: async () => 42,
  } as unknown as EventStore;
  const store = instrumentEventStore(inner, metrics);
  t.same(await store.append('task-1', [], 'any'), { revision: 0, position: 1 });
  await t.rejects(store.append('conflict', [], 0), { code: 'wrong_expected_revision' });
  await t.rejects(store.append('broken', [], 'any'), /disk full/);
  t.equal(await store.headPosition(), 42);
  t.equal(calls, 3);
  const text = await metrics.registry.metrics();
  for (const outcome of ['ok', 'conflict', 'error']) t.equal(sample(text, 'bosun_event_store_append_duration_seconds_count', { outcome }), 1, outcome);
});
