/**
 * The read side on the real engines: the relay to Kafka, projectors into a MongoDB-compatible
 * server, read-your-writes across partitions, rebuild and verify there, analytics reading the
 * topics and collections with plain clients, engines unreachable, and kill -9 mid-batch.
 * Each run has its own topic prefix and database, so runs can share the engines.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import t from 'tap';
import type { RecordedEvent } from '../../events/event-store.js';
import { categoryOfStream } from '../../events/streams.js';
import { openMongoReadStore, withDatabase } from '../../infra/mongo-read-store.js';
import { readModelProjectors } from '../../projections/read-models.js';
import { toWireEvent } from '../../projections/wire-event.js';
import { appliedTwiceChangedOnce } from '../projections/projection-idempotency.contract.js';
import { populateFleet } from './fleet-scenario.js';
import { adminKey, startTestBosun, type TestBosun } from './harness.js';
import { freePort, missingBuild, serve, stopped, submitUntilKilled } from './process.js';
import { dropDatabase, mongoUrl } from './scratch-mongo.js';

const brokers = process.env.KAFKA_BROKERS;

const skip = missingBuild || ((!brokers || !mongoUrl) && 'KAFKA_BROKERS or MONGODB_URL not set: start the engines with eval "$(node dist/cli.js engines up)"');

const unique = () => randomUUID().replaceAll('-', '').slice(0, 10);

const engines = () => {
  const run = unique();
  return {
    run,
    prefix: `bosun.t${run}.`,
    database: `bosun_t${run}`,
    env: { KAFKA_BROKERS: brokers as string, KAFKA_TOPIC_PREFIX: `bosun.t${run}.`, MONGODB_URL: withDatabase(mongoUrl as string, `bosun_t${run}`) },
  };
};

const readLog = async (app: TestBosun): Promise<RecordedEvent[]> => {
  const log: RecordedEvent[] = [];
  for (let page = await app.bosun.events.readAll(); page.length > 0; page = await app.bosun.events.readAll({ after: log.at(-1)?.position ?? 0 }))
    log.push(...page);
  return log;
};

const ndjson = async (response: Response): Promise<any[]> =>
  (await response.text())
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));

t.test('read models built from Kafka into MongoDB', { skip }, async (t) => {
  const { prefix, database } = engines();
  const app = await startTestBosun({ kafkaBrokers: [brokers as string], kafkaTopicPrefix: prefix, mongodbUrl: withDatabase(mongoUrl as string, database) });
  t.teardown(async () => {
    await app.stop();
    await dropDatabase(database);
  });
  const fleet = await populateFleet(app, 4);
  t.ok(await app.bosun.readSide.waitFor(fleet.head, 60_000), 'the read models reach the head');
  const log = await readLog(app);

  t.test('reads with X-Min-Position see the write, served from MongoDB', async (t) => {
    const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { via: 'kafka' } } });
    const read = await app.call('GET', `/api/v1/tasks/${submitted.body.id}`, { headers: { 'X-Min-Position': String(submitted.body.position) } });
    t.equal(read.status, 200);
    t.match(read.body, { id: submitted.body.id, status: 'pending', input: { via: 'kafka' } });
    const projections = await app.call('GET', '/api/v1/system/projections');
    t.match(
      projections.body.data.find((p: { runner: string; name: string }) => p.runner === 'read_models' && p.name === 'tasks'),
      { bus: 'kafka', state: 'live' },
    );
  });

  t.test('an analytics job reads the topics with a plain consumer group and finds the log', async (t) => {
    const kafka = new Kafka({ clientId: 'analytics-test', brokers: [brokers as string], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `analytics-${unique()}` });
    await consumer.connect();
    // Every category the log holds: each has its topic.
    const categories = [...new Set(log.map((event) => categoryOfStream(event.stream)))];
    await consumer.subscribe({ topics: categories.map((category) => `${prefix}${category}`), fromBeginning: true });
    const expected = new Map(log.map((event) => [event.id, event]));
    const seen = new Map<string, { key: string; headers: Record<string, string>; value: unknown; topic: string }>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${expected.size} events read from the topics`)), 60_000);
      void consumer.run({
        eachMessage: async ({ topic, message }) => {
          const value = JSON.parse(String(message.value)) as { id: string };
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          seen.set(value.id, { key: String(message.key), headers, value, topic });
          if ([...expected.keys()].every((id) => seen.has(id))) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    let mismatches = 0;
    for (const event of expected.values()) {
      const message = seen.get(event.id);
      const ok =
        message?.topic === `${prefix}${categoryOfStream(event.stream)}` &&
        message.key === event.stream &&
        message.headers['event-type'] === event.type &&
        message.headers.position === String(event.position) &&
        message.headers.revision === String(event.revision) &&
        message.headers.tenant === event.tenant &&
        JSON.stringify(message.value) === JSON.stringify(toWireEvent(event));
      if (!ok) mismatches++;
    }
    t.equal(mismatches, 0, `every one of ${expected.size} events is on its topic, keyed by stream, with its headers and value`);
  });

  t.test('an analytics job reads the collections with the plain driver and finds the tasks as the API serves them', async (t) => {
    const client = new MongoClient(withDatabase(mongoUrl as string, database));
    t.teardown(() => client.close());
    const documents = await client.db(database).collection('tasks').find({}).toArray();
    const served = await app.call('GET', '/api/v1/tasks?limit=100');
    const otherServed = await app.call('GET', '/api/v1/tasks?limit=100', { key: fleet.otherKey });
    const byId = new Map(documents.map((doc) => [String(doc._id), doc]));
    for (const task of [...served.body.data, ...otherServed.body.data]) {
      t.match(byId.get(task.id), { status: task.status, revision: task.revision, kind: task.kind }, task.id);
    }
    const submittedInLog = log.filter((event) => event.type === 'task.submitted').length;
    t.ok(documents.length >= submittedInLog, `${documents.length} task documents for ${submittedInLog} submissions`);
  });

  t.test('verify on MongoDB finds every projection identical to its rebuild, and rebuild switches over', async (t) => {
    const verify = async (query = '') =>
      (
        await ndjson(
          await fetch(`${app.bosun.url}/api/v1/system/projections/verify${query}`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}` } }),
        )
      ).at(-1);
    const verified = await verify();
    t.match(verified, { type: 'result', identical: true });
    const rebuilt = (
      await ndjson(
        await fetch(`${app.bosun.url}/api/v1/system/projections/alerts/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}` } }),
      )
    ).at(-1);
    t.match(rebuilt, { type: 'result', data: [{ projection: 'alerts', runner: 'read_models' }] });
    t.match(await verify('?projection=alerts'), { identical: true });
  });

  appliedTwiceChangedOnce(
    t,
    'mongodb',
    async () => {
      const name = `bosun_twice_${unique()}`;
      const store = openMongoReadStore({ url: mongoUrl as string, database: name, logger: pino({ enabled: false }) });
      return {
        store,
        cleanup: async () => {
          await store.close();
          await dropDatabase(name);
        },
      };
    },
    () => log,
    readModelProjectors.filter((p) => p.name !== 'configuration_snapshots' || log.some((e) => e.type === 'drift.snapshot_recorded')),
  );
});

t.test('with Kafka unreachable, commands are accepted, /ready says why, and the read side catches up once it is back', { skip }, async (t) => {
  const { env, database } = engines();
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-kafka-down-'));
  t.teardown(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase(database);
  });
  const port = await freePort();
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const deadPort = await freePort();
  const down = await serve(
    dataDir,
    port,
    { ...env, KAFKA_BROKERS: `127.0.0.1:${deadPort}`, BOSUN_ADMIN_KEY: adminKey, BOSUN_READ_WAIT_MS: '300' },
    { readyPath: '/health' },
  );
  const ids: string[] = [];
  for (let n = 0; n < 5; n++) {
    const submitted = await fetch(`${down.base}/api/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ kind: 'echo', input: { n } }) });
    t.equal(submitted.status, 202, 'the command is accepted and durable');
    ids.push(((await submitted.json()) as { id: string }).id);
  }
  const ready = await fetch(`${down.base}/ready`);
  t.equal(ready.status, 503, '/ready says the read side is behind');
  // The relay says so once its first publish has failed (kafkajs gives up after its bounded retries).
  let report: { relay: { state: string; error: string | null; lag_events: number } };
  for (let waited = 0; ; waited += 200) {
    report = (await (await fetch(`${down.base}/api/v1/system/projections`, { headers })).json()) as typeof report;
    if (report.relay.error !== null || waited > 30_000) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.match(report.relay, { state: 'retrying', error: new RegExp(`127.0.0.1:${deadPort}`) }, 'the relay names the brokers it cannot reach');
  t.ok(report.relay.lag_events > 0);
  down.child.kill('SIGTERM');
  await stopped(down.child);

  const back = await serve(dataDir, port, env);
  t.teardown(() => void back.child.kill('SIGKILL'));
  for (const id of ids) {
    const read = await fetch(`${back.base}/api/v1/tasks/${id}`, { headers });
    t.equal(read.status, 200, `task ${id} reached MongoDB through Kafka once it was back`);
  }
  back.child.kill('SIGTERM');
  await stopped(back.child);
});

t.test('kill -9 while the read models are being written loses and doubles nothing', { skip }, async (t) => {
  const { env, database } = engines();
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-read-side-crash-'));
  t.teardown(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase(database);
  });
  const port = await freePort();
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const first = await serve(dataDir, port, { ...env, BOSUN_ADMIN_KEY: adminKey }, { detached: true });
  // Kill while the relay and the projectors are busy with a backlog.
  const acknowledged = await submitUntilKilled(first, adminKey, 4, 150, () => process.kill(-(first.child.pid as number), 'SIGKILL'));

  const second = await serve(dataDir, port, env);
  t.teardown(() => void second.child.kill('SIGKILL'));
  const missing: string[] = [];
  for (const id of acknowledged) {
    const read = await fetch(`${second.base}/api/v1/tasks/${id}`, { headers });
    if (read.status !== 200) missing.push(id);
  }
  t.same(missing, [], `all ${acknowledged.length} acknowledged tasks are in MongoDB after the restart`);
  const verified = (await ndjson(await fetch(`${second.base}/api/v1/system/projections/verify`, { method: 'POST', headers }))).at(-1);
  t.match(verified, { type: 'result', identical: true }, 'every read model equals its rebuild: nothing lost, nothing doubled');
  second.child.kill('SIGTERM');
  await stopped(second.child);
});
