import t from 'tap';
import { createOtherTeam, startTestBosun } from './harness.js';

t.test('deploying an instance', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);

  t.test('answers 202 with the instance provisioning, its revision, position and Location', async (t) => {
    const deployed = await app.call('POST', '/api/v1/instances', {
      body: { name: 'worker-1', provider: 'local', spec: { skills: [{ name: 'git', version: '2.1' }], settings: { timeout: 30 } } },
    });
    t.equal(deployed.status, 202);
    t.match(deployed.body, {
      object: 'instance',
      name: 'worker-1',
      provider: 'local',
      status: 'provisioning',
      pending: null,
      health: 'unknown',
      agent: null,
      backups: [],
      allowed_actions: ['change_spec'],
      revision: 0,
    });
    t.ok(deployed.body.position > 0);
    t.notOk('tenant' in deployed.body || 'seq' in deployed.body, 'storage fields stay inside');
    t.same(deployed.body.spec, {
      skills: [{ name: 'git', version: '2.1' }],
      runtime_version: null,
      settings: { timeout: 30 },
      resources: { cpus: null, memory_mb: null, ports: [], region: null },
      max_concurrent_tasks: 1,
    });
    t.equal(deployed.headers.get('location'), `/api/v1/instances/${deployed.body.id}`);

    const read = await app.call('GET', `/api/v1/instances/${deployed.body.id}`, { headers: { 'x-min-position': String(deployed.body.position) } });
    t.equal(read.status, 200);
    t.same(read.body, { ...deployed.body, metrics: null }, 'the read model says what the write answered, and that no heartbeat metrics are kept yet');
  });

  t.test('validation errors name the field', async (t) => {
    const cases: [unknown, string][] = [
      [{ provider: 'local', spec: {} }, 'name'],
      [{ name: 'Worker_1', provider: 'local', spec: {} }, 'name'],
      [{ name: '-w', provider: 'local', spec: {} }, 'name'],
      [{ name: 'w', provider: 'local' }, 'spec'],
      [{ name: 'w', provider: 'local', spec: { max_concurrent_tasks: 0 } }, 'spec.max_concurrent_tasks'],
      [{ name: 'w', provider: 'local', spec: { max_concurrent_tasks: 65 } }, 'spec.max_concurrent_tasks'],
      [{ name: 'w', provider: 'local', spec: { skills: [{ name: 'git' }] } }, 'spec.skills.0.version'],
      [{ name: 'w', provider: 'local', spec: { resources: { ports: [70000] } } }, 'spec.resources.ports.0'],
      [{ name: 'w', provider: 'local', spec: { colour: 'blue' } }, 'spec.colour'],
      [{ name: 'w', provider: 'local', spec: { settings: [] } }, 'spec.settings'],
    ];
    for (const [body, field] of cases) {
      const refused = await app.call('POST', '/api/v1/instances', { body });
      t.equal(refused.status, 400, JSON.stringify(body));
      t.equal(refused.body.error.type, 'invalid_request_error');
      t.equal(refused.body.error.param, field);
      t.match(refused.body.error.message, field);
    }
  });

  t.test('an unknown provider is refused naming provider and the ones that exist', async (t) => {
    const refused = await app.call('POST', '/api/v1/instances', { body: { name: 'w', provider: 'aws', spec: {} } });
    t.equal(refused.status, 400);
    t.match(refused.body.error, { type: 'invalid_request_error', code: 'unknown_provider', param: 'provider', message: /local/ });
  });

  t.test('a viewer cannot deploy', async (t) => {
    const viewer = await app.call('POST', '/api/v1/api-keys', { body: { name: 'ro', role: 'viewer' } });
    const refused = await app.call('POST', '/api/v1/instances', { key: viewer.body.key, body: { name: 'w', provider: 'local', spec: {} } });
    t.equal(refused.status, 403);
    t.equal(refused.body.error.type, 'permission_error');
    const list = await app.call('GET', '/api/v1/instances', { key: viewer.body.key });
    t.equal(list.status, 200, 'but may read');
  });

  t.test('a retried deploy with the same Idempotency-Key deploys once', async (t) => {
    const request = { body: { name: 'once', provider: 'local', spec: {} }, headers: { 'idempotency-key': 'deploy-once' } };
    const first = await app.call('POST', '/api/v1/instances', request);
    const again = await app.call('POST', '/api/v1/instances', request);
    t.equal(again.status, 202);
    t.equal(again.headers.get('idempotency-replayed'), 'true');
    t.same(again.body, first.body);
    t.equal(again.headers.get('location'), first.headers.get('location'));
  });

  t.test("another team's instance is not found", async (t) => {
    const mine = await app.call('POST', '/api/v1/instances', { body: { name: 'mine', provider: 'local', spec: {} } });
    const otherKey = await createOtherTeam(app);
    const consistent = { 'x-min-position': String(mine.body.position) };
    for (const path of [`/api/v1/instances/${mine.body.id}`, `/api/v1/instances/${mine.body.id}/lifecycle`]) {
      const read = await app.call('GET', path, { key: otherKey, headers: consistent });
      t.equal(read.status, 404, path);
      t.equal(read.body.error.type, 'not_found_error');
    }
    const patched = await app.call('PATCH', `/api/v1/instances/${mine.body.id}`, { key: otherKey, body: { spec: { settings: { x: 1 } } } });
    t.equal(patched.status, 404);
    const destroyed = await app.call('POST', `/api/v1/instances/${mine.body.id}/destroy`, { key: otherKey });
    t.equal(destroyed.status, 404);
    const listed = await app.call('GET', '/api/v1/instances', { key: otherKey, headers: consistent });
    t.same(listed.body.data, []);
  });
});
