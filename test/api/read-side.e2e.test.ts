import { execFile } from 'node:child_process';
import t from 'tap';
import type { RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { lookupProjectors, readModelProjectors } from '../../projections/read-models.js';
import { appliedTwiceChangedOnce } from '../projections/projection-idempotency.contract.js';
import { populateFleet } from './fleet-scenario.js';
import { adminKey, startTestBosun } from './harness.js';
import { cli, missingBuild } from './process.js';

/** `bosun projections ...` against `url`: its exit code, stdout and stderr. */
const projectionsCommand = (url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [cli, 'projections', ...args, '--url', url], { env: { ...process.env, BOSUN_ADMIN_KEY: adminKey } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

/** Reads an NDJSON answer whole: its lines, parsed. */
const ndjson = async (response: Response): Promise<any[]> =>
  (await response.text())
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));

const maintenance = (url: string, path: string) => fetch(`${url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}` } });

t.test('the read side on embedded defaults, with a fleet in the log', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const fleet = await populateFleet(app);
  const log: RecordedEvent[] = [];
  for (let page = await app.bosun.events.readAll(); page.length > 0; page = await app.bosun.events.readAll({ after: log.at(-1)?.position ?? 0 }))
    log.push(...page);

  appliedTwiceChangedOnce(
    t,
    'embedded',
    async () => {
      const store = openEmbeddedReadStore({ file: ':memory:' });
      return { store, cleanup: () => store.close() };
    },
    () => log,
    [...new Map([...lookupProjectors, ...readModelProjectors].map((p) => [p.name, p])).values()],
  );

  t.test('every projection is live and caught up with the log, and says so', async (t) => {
    const { status, body } = await app.call('GET', '/api/v1/system/projections');
    t.equal(status, 200);
    const names = body.data.map((p: { name: string }) => p.name).sort();
    t.same(names, [
      'access',
      'agent-credentials',
      'alert_rules',
      'alerts',
      'api_keys',
      'audit_logs',
      'configuration_snapshots',
      'drift',
      'idempotency',
      'instances',
      'skills',
      'tasks',
      'webhook_deliveries',
      'webhooks',
    ]);
    for (const projection of body.data) t.match(projection, { state: 'live', lag_events: 0, lag_ms: 0, failure: null, log_head: fleet.head }, projection.name);
  });

  t.test('verify rebuilds every projection in scratch storage and finds it identical to the live one', async (t) => {
    const lines = await ndjson(await maintenance(app.bosun.url, '/system/projections/verify'));
    const result = lines.at(-1);
    t.match(result, { type: 'result', identical: true });
    t.equal(result.data.length, 14);
    for (const projection of result.data) t.match(projection, { identical: true, differences: [] }, projection.projection);
    t.ok(result.data.find((p: { projection: string }) => p.projection === 'tasks').documents >= fleet.tasks.length, 'tasks were compared');
  });

  t.test('verify names the first differences when the live read model was altered', async (t) => {
    const [taskId] = fleet.tasks;
    const tasks = app.bosun.readStore.collection<any>('tasks');
    const original = await tasks.get(taskId as string);
    await tasks.put({ ...original, status: 'tampered' });
    t.teardown(() => tasks.put(original));
    const response = await maintenance(app.bosun.url, '/system/projections/verify?projection=tasks');
    const result = (await ndjson(response)).at(-1);
    t.match(result, {
      type: 'result',
      identical: false,
      data: [{ projection: 'tasks', identical: false, differences: [{ collection: 'tasks', id: taskId, problem: 'different', fields: ['status'] }] }],
    });
  });

  t.test('rebuild switches over to a rebuilt projection while it serves, with progress', async (t) => {
    const before = await app.call('GET', '/api/v1/tasks?limit=100');
    const lines = await ndjson(await maintenance(app.bosun.url, '/system/projections/tasks/rebuild'));
    t.match(lines.at(-1), { type: 'result', data: [{ projection: 'tasks', runner: 'read_models' }] });
    t.ok(lines.at(-1).data[0].events >= fleet.head - 5, 'the whole log was read');
    const after = await app.call('GET', '/api/v1/tasks?limit=100');
    t.same(after.body, before.body, 'the same answers after the switch');
    const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } });
    const read = await app.call('GET', `/api/v1/tasks/${submitted.body.id}`, { headers: { 'X-Min-Position': String(submitted.body.position) } });
    t.equal(read.status, 200, 'the rebuilt projection goes on applying new events');
    t.match(read.headers.get('server-timing'), /^read-wait;dur=\d+\.\d{2}$/, 'the answer says how long it waited for the read side');
    const verified = (await ndjson(await maintenance(app.bosun.url, '/system/projections/verify?projection=tasks'))).at(-1);
    t.equal(verified.identical, true);
  });

  t.test('bosun projections: rebuild shows progress, verify exits 0 when identical, status prints the report', { skip: missingBuild }, async (t) => {
    const rebuilt = await projectionsCommand(app.bosun.url, ['rebuild', 'instances']);
    t.equal(rebuilt.code, 0, rebuilt.stderr);
    t.match(rebuilt.stderr, /read_models\/instances: \d+% \(position \d+ of \d+\), [\d,]+ events, [\d,]+ events\/s, ETA/);
    t.match(JSON.parse(rebuilt.stdout), { type: 'result', data: [{ projection: 'instances' }] });
    const verified = await projectionsCommand(app.bosun.url, ['verify', 'instances']);
    t.equal(verified.code, 0);
    t.match(JSON.parse(verified.stdout), { identical: true });
    const status = await projectionsCommand(app.bosun.url, ['status']);
    t.equal(status.code, 0);
    t.ok(JSON.parse(status.stdout).data.length >= 8);
    const unknown = await projectionsCommand(app.bosun.url, ['rebuild', 'nope']);
    t.equal(unknown.code, 1);
    t.match(unknown.stderr, /404 no projection named "nope"/);
  });

  t.test('rebuild and verify are for admins, and name unknown projections', async (t) => {
    const viewer = (await app.call('POST', '/api/v1/api-keys', { body: { name: 'v', role: 'viewer' } })).body.key;
    t.equal((await app.call('POST', '/api/v1/system/projections/tasks/rebuild', { key: viewer })).status, 403);
    const unknown = await app.call('POST', '/api/v1/system/projections/nope/rebuild');
    t.equal(unknown.status, 404);
    t.match(unknown.body.error.message, /no projection named "nope"; projections: .*tasks/);
  });
});

t.test('after a restart, the read models resume from their checkpoints instead of replaying the log', async (t) => {
  let app = await startTestBosun();
  const dataDir = app.dataDir;
  const fleet = await populateFleet(app, 3);
  const before = await app.call('GET', '/api/v1/tasks?limit=100');
  await app.bosun.close();
  app = await startTestBosun({}, dataDir);
  t.teardown(app.stop);
  t.ok(app.bosun.readSide.resumedFrom() >= fleet.head, 'every runner resumed at the head it had reached, replaying nothing');
  t.same((await app.call('GET', '/api/v1/tasks?limit=100')).body, before.body, 'the same read models after the restart');
  t.equal(app.bosun.readSide.position() >= fleet.head, true);
});
