import t from 'tap';
import { lookupProjectors, readModelProjectors } from '../../projections/read-models.js';
import { startTestBosun } from './harness.js';

/** The value of one sample of the Prometheus text, found by its name and (some of) its labels. */
const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const found = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    const set = Object.fromEntries([...(found?.[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => set[key] === value)) return Number(found?.[2]);
  }
  return undefined;
};

const projectionNames = [...new Set([...lookupProjectors, ...readModelProjectors].map((p) => p.name))].sort();

t.test('system routes on embedded defaults', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);

  const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { message: 'hi' } } });
  t.equal(submitted.status, 202);
  const taskId = submitted.body.id as string;
  const read = await app.call('GET', `/api/v1/tasks/${taskId}`, { headers: { 'x-min-position': String(submitted.body.position) } });
  t.equal(read.status, 200);

  t.test("/api/v1/system/projections lists every projection, live and not behind after a read of one's write", async (t) => {
    const head = await app.bosun.events.headPosition();
    const { status, body } = await app.call('GET', '/api/v1/system/projections');
    t.equal(status, 200);
    t.same(body.data.map((p: { name: string }) => p.name).sort(), projectionNames);
    for (const projection of body.data) {
      t.match(
        projection,
        { object: 'projection', runner: 'read_models', bus: 'embedded', state: 'live', log_head: head, lag_events: 0, lag_ms: 0, failure: null },
        projection.name,
      );
      t.ok(projection.checkpoint_position <= head, `${projection.name}: checkpoint at or below the head`);
    }
    t.equal(body.caught_up, true);
    t.same(body.errors, []);
    t.equal(body.relay, null, 'no relay on the embedded bus');
  });

  t.test('/api/v1/system/projections is for admins', async (t) => {
    const developer = await app.call('POST', '/api/v1/api-keys', { body: { name: 'dev', role: 'developer' } });
    t.equal(developer.status, 201);
    const refused = await app.call('GET', '/api/v1/system/projections', {
      key: developer.body.key,
      headers: { 'x-min-position': String(developer.body.position) },
    });
    t.equal(refused.status, 403);
    t.equal(refused.body.error.type, 'permission_error');
    t.equal((await app.call('GET', '/api/v1/system/projections', { key: null })).status, 401);
  });

  t.test('/metrics needs no key and tells the figures', async (t) => {
    // Read here: the subtests before appended (the developer's key).
    const head = await app.bosun.events.headPosition();
    const response = await fetch(`${app.bosun.url}/metrics`);
    t.equal(response.status, 200);
    t.match(response.headers.get('content-type'), /^text\/plain/);
    const text = await response.text();
    t.equal(
      sample(text, 'bosun_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/tasks/:id', status: '200' }),
      1,
      'the read, under its route template',
    );
    t.equal(sample(text, 'bosun_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/tasks', status: '202' }), 1);
    t.notOk(text.includes(taskId), 'no task id in any label');
    // The system team's creation and the submit at least.
    t.ok(sample(text, 'bosun_event_store_append_duration_seconds_count', { outcome: 'ok' })! >= 2, 'appends are timed');
    t.ok(sample(text, 'process_resident_memory_bytes')! > 0, 'process metrics');
    t.ok(sample(text, 'bosun_log_head_position')! >= head, 'log head');
    for (const name of projectionNames) {
      const labels = { projection: name, runner: 'read_models' };
      t.equal(sample(text, 'bosun_projection_up', labels), 1, `${name} up`);
      t.equal(sample(text, 'bosun_projection_lag_events', labels), 0, `${name} not behind`);
      t.equal(sample(text, 'bosun_projection_lag_seconds', labels), 0, `${name} lag 0 s`);
      const checkpoint = sample(text, 'bosun_projection_checkpoint_position', labels);
      t.ok(checkpoint !== undefined && checkpoint <= head, `${name} checkpoint ${checkpoint} at or below the head ${head}`);
    }
    t.notOk(text.includes('bosun_relay_'), 'no relay on the embedded bus');
    t.ok(
      sample(text, 'bosun_projection_visible_lag_seconds_count', { runner: 'read_models' })! >= 1,
      'the submit, applied live, is timed from write to visible',
    );
  });

  t.test('/health and /ready', async (t) => {
    const health = await app.call('GET', '/health', { key: null });
    t.equal(health.status, 200);
    t.same(health.body, { status: 'ok' });
    const ready = await app.call('GET', '/ready', { key: null });
    t.equal(ready.status, 200);
    t.match(ready.body, { status: 'ready', checks: { startup: { ok: true }, read_side: { ok: true }, event_store: { ok: true } } });
  });
});

t.test('BOSUN_METRICS=off serves no /metrics', async (t) => {
  const app = await startTestBosun({ metrics: 'off' });
  t.teardown(app.stop);
  t.equal((await fetch(`${app.bosun.url}/metrics`)).status, 404);
});
