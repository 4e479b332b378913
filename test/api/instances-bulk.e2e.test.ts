import t from 'tap';
import { createOtherTeam, startTestBosun } from './harness.js';
import { instanceDriver } from './instance-driver.js';

t.test('acting on many instances at once', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const driver = instanceDriver(app);
  const otherKey = await createOtherTeam(app);
  const deploy = async (name: string, key?: string) =>
    (await app.call('POST', '/api/v1/instances', { body: { name, provider: 'local', spec: {} }, ...(key ? { key } : {}) })).body;

  const running = await deploy('running-1');
  await driver.provision(running.id);
  const provisioning = await deploy('provisioning-1');
  const theirs = await deploy('theirs-1', otherKey);
  await driver.provision(theirs.id);
  const ids = [running.id, provisioning.id, 'no-such-instance', theirs.id];

  t.test("each id answers on its own: own ones 202 or 409, unknown and other teams' 404", async (t) => {
    const bulk = await app.call('POST', '/api/v1/instances/bulk', { body: { action: 'suspend', instance_ids: ids } });
    t.equal(bulk.status, 200);
    t.equal(bulk.body.object, 'bulk_result');
    t.match(bulk.body.results, [
      { instance_id: running.id, status: 202, revision: 2 },
      { instance_id: provisioning.id, status: 409, error: { type: 'conflict_error', code: 'illegal_transition', message: /provisioning/ } },
      { instance_id: 'no-such-instance', status: 404, error: { type: 'not_found_error' } },
      { instance_id: theirs.id, status: 404, error: { type: 'not_found_error' } },
    ]);
    t.notOk(JSON.stringify(bulk.body).includes('theirs-1'), "nothing of the other team's instance is told");

    const read = await app.call('GET', `/api/v1/instances/${running.id}`, { headers: { 'x-min-position': String(bulk.body.results[0].position) } });
    t.equal(read.body.pending, 'suspend');
    const untouched = await app.call('GET', `/api/v1/instances/${theirs.id}`, { key: otherKey });
    t.equal(untouched.body.pending, null);
  });

  t.test('a backup in bulk answers each backup id; a keyed retry replays the first answer', async (t) => {
    const request = { body: { action: 'backup', instance_ids: ids }, headers: { 'idempotency-key': 'bulk-backup-1' } };
    const first = await app.call('POST', '/api/v1/instances/bulk', request);
    t.match(first.body.results, [
      { instance_id: running.id, status: 202, backup_id: String },
      { instance_id: provisioning.id, status: 409 },
      { instance_id: 'no-such-instance', status: 404 },
      { instance_id: theirs.id, status: 404 },
    ]);
    const retried = await app.call('POST', '/api/v1/instances/bulk', request);
    t.equal(retried.status, 200);
    t.equal(retried.headers.get('idempotency-replayed'), 'true');
    t.same(retried.body, first.body);

    const instance = await app.call('GET', `/api/v1/instances/${running.id}`, { headers: { 'x-min-position': String(first.body.results[0].position) } });
    t.equal(instance.body.backups.length, 1, 'backed up once');
  });

  t.test('a destroy in bulk may back up first; a keyed retry replays the first answer', async (t) => {
    const doomed = await deploy('doomed-1');
    await driver.provision(doomed.id);
    const request = {
      body: { action: 'destroy', instance_ids: [doomed.id, provisioning.id], backup_first: true },
      headers: { 'idempotency-key': 'bulk-destroy-1' },
    };
    const first = await app.call('POST', '/api/v1/instances/bulk', request);
    t.match(first.body.results, [
      { instance_id: doomed.id, status: 202 },
      { instance_id: provisioning.id, status: 409 },
    ]);
    const retried = await app.call('POST', '/api/v1/instances/bulk', request);
    t.same(retried.body, first.body);
    const read = await app.call('GET', `/api/v1/instances/${doomed.id}`, { headers: { 'x-min-position': String(first.body.results[0].position) } });
    t.equal(read.body.status, 'destroying');
    t.equal(read.body.revision, first.body.results[0].revision);
  });

  t.test('the request is validated naming the field', async (t) => {
    const cases: [unknown, string][] = [
      [{ action: 'reboot', instance_ids: [running.id] }, 'action'],
      [{ action: 'suspend', instance_ids: [] }, 'instance_ids'],
      [{ action: 'suspend', instance_ids: [running.id, running.id] }, 'instance_ids'],
      [{ action: 'suspend', instance_ids: Array.from({ length: 101 }, (_, i) => `i-${i}`) }, 'instance_ids'],
      [{ action: 'suspend', instance_ids: [running.id], backup_first: true }, 'backup_first'],
    ];
    for (const [body, field] of cases) {
      const refused = await app.call('POST', '/api/v1/instances/bulk', { body });
      t.equal(refused.status, 400, JSON.stringify(body).slice(0, 80));
      t.equal(refused.body.error.param, field);
    }
  });

  t.test('a viewer cannot act in bulk', async (t) => {
    const viewer = await app.call('POST', '/api/v1/api-keys', { body: { name: 'ro', role: 'viewer' } });
    const refused = await app.call('POST', '/api/v1/instances/bulk', { key: viewer.body.key, body: { action: 'suspend', instance_ids: [running.id] } });
    t.equal(refused.status, 403);
  });
});
