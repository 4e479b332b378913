/**
 * Replays as of a past moment, on whichever read store the replay is given: a fleet's log
 * built through the API, what the API showed at a moment in the middle, then later changes;
 * replays to that moment (by position and by time), to the head, and served read-only.
 * Shared by the embedded (replay.e2e) and MongoDB (replay-engines.int) tests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { openMongoReadStore } from '../../infra/mongo-read-store.js';
import { startReplay, type Replay, type ReplayOptions } from '../../infra/replay-command.js';
import { lookupProjectors, readModelProjectors } from '../../projections/read-models.js';
import type { ReadDocument, ReadStore } from '../../projections/read-store.js';
import { populateFleet } from './fleet-scenario.js';
import { adminKey, type TestBosun } from './harness.js';

const silent = pino({ enabled: false });

/** Each exported collection with the API list that shows it. */
const listed = [
  { collection: 'tasks', path: '/api/v1/tasks?limit=100' },
  { collection: 'instances', path: '/api/v1/instances?limit=100' },
  { collection: 'alerts', path: '/api/v1/alerts?limit=100' },
  { collection: 'alert_rules', path: '/api/v1/alert-rules?limit=100' },
  { collection: 'drift_events', path: '/api/v1/drift-events?limit=100' },
  { collection: 'api_keys', path: '/api/v1/api-keys?limit=100' },
] as const;

const byId = <T extends { id: string }>(docs: readonly T[]): T[] => [...docs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

type Shown = Record<string, unknown[]>;

/** What the API shows the team of `key`: every list, its team, and each instance's snapshots. */
const shownTo = async (call: (path: string) => Promise<{ status: number; body: any }>): Promise<Shown> => {
  const shown: Shown = {};
  for (const { collection, path } of listed) {
    const answer = await call(path);
    if (answer.status !== 200) throw new Error(`GET ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    if (answer.body.has_more) throw new Error(`GET ${path} has more than one page`);
    shown[collection] = byId(answer.body.data);
  }
  // How much a key is used is counted apart from the log (processes/api-key-usage.ts): a replay has no such thing to show.
  shown.api_keys = (shown.api_keys as Record<string, unknown>[]).map(({ last_used_at: _last, requests_per_day: _days, ...key }) => key);
  shown.teams = [(await call('/api/v1/team')).body];
  const snapshots: any[] = [];
  for (const instance of shown.instances as { id: string }[]) snapshots.push(...(await call(`/api/v1/instances/${instance.id}/snapshots?limit=100`)).body.data);
  shown.configuration_snapshots = byId(snapshots);
  return shown;
};

/** The exported files of a replay, as the team `tenant` sees them (its documents, without the tenant). */
const exportedTo = (dir: string, tenant: string): Shown => {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const shown: Shown = {};
  for (const [collection, { file }] of Object.entries<{ file: string }>(manifest.collections)) {
    const lines = readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean);
    shown[collection] = byId(
      lines
        .map((line) => JSON.parse(line))
        .filter((doc) => doc.tenant === tenant)
        .map(({ tenant: _tenant, ...doc }) => doc),
    );
  }
  return shown;
};

/** Every document of every collection the projectors write, by collection, in id order. */
const storedDocuments = async (stores: { lookups: ReadStore; readStore: ReadStore }): Promise<Record<string, ReadDocument[]>> => {
  const documents: Record<string, ReadDocument[]> = {};
  const collections = [
    ...lookupProjectors.flatMap((p) => p.collections.map((c) => ({ name: c.name, store: stores.lookups }))),
    ...readModelProjectors.flatMap((p) => p.collections.map((c) => ({ name: c.name, store: stores.readStore }))),
  ];
  for (const { name, store } of collections) {
    const all: ReadDocument[] = [];
    for (let before: number | undefined; ;) {
      const page = await store.collection(name).list({}, { limit: 500, ...(before === undefined ? {} : { before }) });
      all.push(...page);
      if (page.length < 500) break;
      before = (page.at(-1) as ReadDocument).seq;
    }
    documents[name] = byId(all);
  }
  return documents;
};

export const replayScenario = async (t: Test, app: TestBosun, mongodbUrl: string | null): Promise<void> => {
  const dirs: string[] = [];
  t.teardown(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const config = { dataDir: app.dataDir, eventStoreUrl: null, rateLimitPerSecond: 100_000, masterKey: null };
  const replay = (to: string, mode: ReplayOptions['mode'] = { export: true }, keep = false): Promise<Replay> => {
    const out = mkdtempSync(join(tmpdir(), 'bosun-replay-'));
    dirs.push(out);
    return startReplay({ to, out, mode, mongodbUrl, keep }, config, silent);
  };

  // Given a fleet's log built through the API, and what the API showed at its last event
  const fleet = await populateFleet(app, 3);
  t.ok(await app.bosun.readSide.waitFor(fleet.head, 30_000), 'the read models reach the fleet');
  const admin = (path: string) => app.call('GET', path);
  const other = (path: string) => app.call('GET', path, { key: fleet.otherKey });
  const then = { admin: await shownTo(admin), other: await shownTo(other) };
  const adminTeam = (then.admin.teams?.[0] as { id: string }).id;
  const otherTeam = (then.other.teams?.[0] as { id: string }).id;
  await new Promise((resolve) => setTimeout(resolve, 5));
  const thenTime = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 5));

  // and, after that moment, tasks submitted and cancelled, a spec changed, a key issued
  const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { after: true } } });
  const pending = (then.admin.tasks as { id: string; status: string }[]).find((task) => task.status === 'pending');
  if (!pending) throw new Error('the fleet has no pending task');
  const cancelled = await app.call('POST', `/api/v1/tasks/${pending.id}/cancel`, { body: { reason: 'after the moment' } });
  const instance = (then.admin.instances as { id: string }[])[0] as { id: string };
  const patched = await app.call('PATCH', `/api/v1/instances/${instance.id}`, {
    body: { spec: { settings: { replayed: 'no' } } },
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  const laterKey = await app.call('POST', '/api/v1/api-keys', { body: { name: 'issued later', role: 'viewer' } });
  t.same([submitted.status, cancelled.status, patched.status, laterKey.status], [202, 200, 200, 201], 'the later changes are taken');
  const head = await app.bosun.events.headPosition();
  t.ok(await app.bosun.readSide.waitFor(head, 30_000));
  const now = await shownTo(admin);

  t.test('when replayed to the position of that moment and exported, then each collection is what the API showed then', async (t) => {
    const replayed = await replay(String(fleet.head));
    t.equal(replayed.cut.position, fleet.head);
    t.equal(replayed.cut.head, head, 'the manifest tells the head at the time of the replay');
    const dir = dirs.at(-1) as string;
    const exported = exportedTo(dir, adminTeam);
    t.same(exported, then.admin, 'the admin team sees what it saw then');
    t.same(exportedTo(dir, otherTeam), then.other, 'the other team too, filtered by tenant');
    t.notSame(exported.tasks, now.tasks, 'tasks differ from now');
    t.notSame(exported.instances, now.instances, 'instances differ from now');
    t.notSame(exported.api_keys, now.api_keys, 'API keys differ from now');
    const manifest = replayed.manifest;
    t.ok(manifest);
    t.same(Object.keys(manifest?.collections ?? {}).sort(), [
      'alert_rules',
      'alerts',
      'api_keys',
      'configuration_snapshots',
      'drift_events',
      'instances',
      'tasks',
      'teams',
    ]);
    t.equal(manifest?.collections.tasks?.documents, (then.admin.tasks?.length ?? 0) + (then.other.tasks?.length ?? 0));
    t.match(manifest?.collections.tasks?.sha256, /^[0-9a-f]{64}$/);
    t.equal(replayed.database === null, mongodbUrl === null, 'the read models went to a scratch database when MongoDB is configured');
  });

  t.test('when replayed to the time of that moment, then the cut is the last event before it, with the same export', async (t) => {
    const byPosition = await replay(String(fleet.head));
    const byTime = await replay(thenTime);
    t.equal(byTime.cut.position, fleet.head);
    t.same(
      Object.fromEntries(Object.entries(byTime.manifest?.collections ?? {}).map(([name, c]) => [name, c.sha256])),
      Object.fromEntries(Object.entries(byPosition.manifest?.collections ?? {}).map(([name, c]) => [name, c.sha256])),
      'the same bytes, whichever way the moment was named',
    );
  });

  t.test('when replayed to the head, then every collection equals the live read models document for document', async (t) => {
    const replayed = await replay(String(head), { export: true }, true);
    const dir = dirs.at(-1) as string;
    const lookups = openEmbeddedReadStore({ file: join(dir, 'replay.sqlite'), readonly: true });
    const readStore = replayed.database && mongodbUrl ? openMongoReadStore({ url: mongodbUrl, database: replayed.database, logger: silent }) : lookups;
    t.teardown(async () => {
      if (readStore !== lookups) {
        await (readStore as ReturnType<typeof openMongoReadStore>).dropDatabase();
        await readStore.close();
      }
      await lookups.close();
    });
    const live = await storedDocuments({ lookups: app.bosun.lookups, readStore: app.bosun.readStore });
    const rebuilt = await storedDocuments({ lookups, readStore });
    t.same(Object.keys(rebuilt), Object.keys(live));
    for (const collection of Object.keys(live)) t.same(rebuilt[collection], live[collection], `${collection}: ${live[collection]?.length} documents`);
    t.same(exportedTo(dir, adminTeam), now, 'and its export is what the API shows now');
  });

  t.test('when served as of that moment, then GETs answer as then, writes are refused, and teams stay apart', async (t) => {
    const served = await replay(String(fleet.head), { serve: 0, host: '127.0.0.1' });
    t.teardown(() => served.close());
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const response = await fetch(`${served.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
    };
    t.same(await shownTo((path) => call('GET', path, adminKey)), then.admin, 'the admin team sees what it saw then');
    t.same(await shownTo((path) => call('GET', path, fleet.otherKey)), then.other, 'the other team sees its own, as then');

    const task = await call('GET', `/api/v1/tasks/${pending.id}`, adminKey);
    t.equal(task.body.status, 'pending', 'the task cancelled later is pending as of then');
    t.match(task.headers.get('bosun-replay-as-of'), `position=${fleet.head}; occurred_at=`, 'every answer says it is a replay, and of when');
    const events = await fetch(`${served.url}/api/v1/events`, { headers: { authorization: `Bearer ${adminKey}` } });
    t.equal(events.status, 200);
    const positions = (await events.text())
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { position: number }).position);
    t.equal(Math.max(...positions), fleet.head, 'the log is shown up to the cut, not beyond');

    const foreign = await call('GET', `/api/v1/tasks/${pending.id}`, fleet.otherKey);
    t.equal(foreign.status, 404, "another team's key sees none of the first team's data");

    const write = await call('POST', '/api/v1/tasks', adminKey, { kind: 'echo', input: {} });
    t.equal(write.status, 405);
    t.match(write.body.error, { code: 'replay_read_only', message: new RegExp(`replay as of position ${fleet.head}`) });
    t.match(write.headers.get('bosun-replay-as-of'), `position=${fleet.head}`, 'refusals carry the header too');
    const agent = await call('POST', '/api/v1/agent/heartbeat', 'any', {});
    t.equal(agent.status, 403, "the agents' API is refused");
    t.equal((await call('GET', '/api/v1/tasks', laterKey.body.key)).status, 401, 'a key issued after the cut does not authenticate');
  });

  t.test('when --to is past the head or not a moment at all, then the error names it', async (t) => {
    await t.rejects(replay(String(head + 1)), { message: `--to ${head + 1}: beyond the log's head (position ${head})` });
    await t.rejects(replay('yesterday'), { message: /^--to "yesterday": neither an RFC 3339 time/ });
    await t.rejects(replay('2000-01-01T00:00:00Z'), { message: /^--to 2000-01-01T00:00:00Z: no event occurred at or before then \(the first occurred at / });
    await t.rejects(replay('2999-01-01T00:00:00Z'), { message: /later than now/ });
  });
};
