import t from 'tap';
import { startTestBosun } from './harness.js';
import { instanceDriver } from './instance-driver.js';

t.test('acting on an instance through its lifecycle', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const driver = instanceDriver(app);
  const deploy = async (name: string) => (await app.call('POST', '/api/v1/instances', { body: { name, provider: 'local', spec: {} } })).body;
  const lifecycle = async (id: string, position: number) =>
    (await app.call('GET', `/api/v1/instances/${id}/lifecycle`, { headers: { 'x-min-position': String(position) } })).body;

  t.test('a provisioning instance allows only a spec change; other actions answer 409 naming the state', async (t) => {
    const deployed = await deploy('provisioning-1');
    t.same(await lifecycle(deployed.id, deployed.position), {
      object: 'instance_lifecycle',
      instance_id: deployed.id,
      status: 'provisioning',
      pending: null,
      allowed_actions: ['change_spec'],
      all_actions: ['change_spec', 'suspend', 'resume', 'destroy', 'backup', 'restart'],
    });
    for (const action of ['resume', 'suspend', 'restart', 'destroy', 'backup']) {
      const refused = await app.call('POST', `/api/v1/instances/${deployed.id}/${action}`);
      t.equal(refused.status, 409, action);
      t.match(refused.body.error, { type: 'conflict_error', code: 'illegal_transition', message: /provisioning/ });
    }
  });

  t.test('a running instance is restarted: requested, pending until the workflow reports, then running with nothing pending', async (t) => {
    const deployed = await deploy('restarted-1');
    await driver.provision(deployed.id);
    const restarting = await app.call('POST', `/api/v1/instances/${deployed.id}/restart`, { headers: { 'idempotency-key': 'restart-1' } });
    t.equal(restarting.status, 202);
    t.match(restarting.body, { object: 'instance', status: 'running', pending: 'restart' });
    t.same(restarting.body.allowed_actions, ['change_spec', 'destroy', 'backup'], 'no suspend or second restart meanwhile');
    const again = await app.call('POST', `/api/v1/instances/${deployed.id}/restart`);
    t.equal(again.status, 409, 'one restart at a time');
    t.match(again.body.error, { code: 'illegal_transition', message: /restart pending/ });
    const replayed = await app.call('POST', `/api/v1/instances/${deployed.id}/restart`, { headers: { 'idempotency-key': 'restart-1' } });
    t.equal(replayed.headers.get('idempotency-replayed'), 'true');
    t.same(replayed.body, restarting.body, 'a keyed retry replays the answer');
    const done = await driver.execute(deployed.id, { type: 'MarkRestarted' });
    t.same((await lifecycle(deployed.id, done.position)).allowed_actions, ['change_spec', 'suspend', 'destroy', 'backup', 'restart']);
    await driver.execute(deployed.id, { type: 'SuspendInstance' });
    const suspendedRefusal = await app.call('POST', `/api/v1/instances/${deployed.id}/restart`);
    t.equal(suspendedRefusal.status, 409, 'only a running instance restarts');
  });

  t.test('a running instance is suspended, then resumed', async (t) => {
    const deployed = await deploy('running-1');
    const provisioned = await driver.provision(deployed.id);
    t.same((await lifecycle(deployed.id, provisioned.position)).allowed_actions, ['change_spec', 'suspend', 'destroy', 'backup', 'restart']);

    const suspending = await app.call('POST', `/api/v1/instances/${deployed.id}/suspend`);
    t.equal(suspending.status, 202);
    t.match(suspending.body, { object: 'instance', id: deployed.id, status: 'running', pending: 'suspend', revision: 2 });
    t.ok(suspending.body.position > provisioned.position);
    t.same(suspending.body.allowed_actions, ['change_spec', 'destroy', 'backup']);

    const again = await app.call('POST', `/api/v1/instances/${deployed.id}/suspend`);
    t.equal(again.status, 409, 'a suspend waits for the one already pending');
    t.match(again.body.error.message, /running \(suspend pending\)/);

    await driver.execute(deployed.id, { type: 'MarkSuspended' });
    const resuming = await app.call('POST', `/api/v1/instances/${deployed.id}/resume`, { body: {} });
    t.equal(resuming.status, 202);
    t.match(resuming.body, { status: 'suspended', pending: 'resume' });
  });

  t.test('a backup answers its id and shows in the instance; a keyed retry answers the same id', async (t) => {
    const deployed = await deploy('backed-up-1');
    await driver.provision(deployed.id);
    const keyed = { headers: { 'idempotency-key': `backup-${deployed.id}` } };
    const backup = await app.call('POST', `/api/v1/instances/${deployed.id}/backup`, keyed);
    t.equal(backup.status, 202);
    t.type(backup.body.backup_id, 'string');
    t.match(backup.body.instance, { id: deployed.id, status: 'running', backups: [{ backup_id: backup.body.backup_id, status: 'requested', location: null }] });

    const retried = await app.call('POST', `/api/v1/instances/${deployed.id}/backup`, keyed);
    t.equal(retried.headers.get('idempotency-replayed'), 'true');
    t.same(retried.body, backup.body);

    const other = await app.call('POST', `/api/v1/instances/${deployed.id}/backup`);
    t.not(other.body.backup_id, backup.body.backup_id, 'without the key it is another backup');
    t.equal(other.body.instance.backups.length, 2);
  });

  t.test('a destroyed instance stays readable, and allows nothing', async (t) => {
    const deployed = await deploy('destroyed-1');
    await driver.provision(deployed.id);
    await driver.execute(deployed.id, { type: 'ChangeHealth', health: 'healthy', reason: 'heartbeats on time' });
    const destroying = await app.call('POST', `/api/v1/instances/${deployed.id}/destroy`, { body: { backup_first: false } });
    t.equal(destroying.status, 202);
    t.match(destroying.body, { status: 'destroying', allowed_actions: [] });
    const destroyed = await driver.execute(deployed.id, { type: 'MarkDestroyed' });
    const read = await app.call('GET', `/api/v1/instances/${deployed.id}`, { headers: { 'x-min-position': String(destroyed.position) } });
    t.match(
      read.body,
      { status: 'destroyed', allowed_actions: [], health: 'unknown', health_reason: 'instance destroyed' },
      'no agent reports health any more',
    );
    const refused = await app.call('POST', `/api/v1/instances/${deployed.id}/backup`);
    t.match(refused.body.error, { type: 'conflict_error', message: /destroyed/ });
  });

  t.test('a destroy may ask for a backup first', async (t) => {
    const deployed = await deploy('destroyed-2');
    await driver.provision(deployed.id);
    const destroying = await app.call('POST', `/api/v1/instances/${deployed.id}/destroy`, { body: { backup_first: true } });
    t.equal(destroying.status, 202);
    t.match(destroying.body, { status: 'destroying' });
    const read = await app.call('GET', `/api/v1/instances/${deployed.id}`, { headers: { 'x-min-position': String(destroying.body.position) } });
    t.same(read.body, { ...destroying.body, metrics: null }, 'the read adds the latest heartbeat metrics: none kept');
  });

  t.test('action bodies are validated naming the field', async (t) => {
    const deployed = await deploy('validated-1');
    const destroy = await app.call('POST', `/api/v1/instances/${deployed.id}/destroy`, { body: { backup_first: 'yes' } });
    t.equal(destroy.status, 400);
    t.equal(destroy.body.error.param, 'backup_first');
    const suspend = await app.call('POST', `/api/v1/instances/${deployed.id}/suspend`, { body: { force: true } });
    t.equal(suspend.body.error.param, 'force');
  });

  t.test('a viewer may read the lifecycle but not act', async (t) => {
    const deployed = await deploy('viewed-1');
    const viewer = await app.call('POST', '/api/v1/api-keys', { body: { name: 'ro', role: 'viewer' } });
    const read = await app.call('GET', `/api/v1/instances/${deployed.id}/lifecycle`, {
      key: viewer.body.key,
      headers: { 'x-min-position': String(deployed.position) },
    });
    t.equal(read.status, 200);
    const refused = await app.call('POST', `/api/v1/instances/${deployed.id}/suspend`, { key: viewer.body.key });
    t.equal(refused.status, 403);
  });

  t.test('lists filter by status and provider and page with a cursor', async (t) => {
    const listed = [await deploy('listed-1'), await deploy('listed-2'), await deploy('listed-3')];
    await driver.provision(listed[0].id);
    const { position } = await driver.provision(listed[2].id);
    const consistent = { headers: { 'x-min-position': String(position) } };
    const running = await app.call('GET', '/api/v1/instances?status=running&limit=1', consistent);
    t.equal(running.status, 200);
    t.equal(running.body.has_more, true);
    t.equal(running.body.data[0].id, listed[2].id, 'newest first');
    const next = await app.call('GET', `/api/v1/instances?status=running&limit=1&cursor=${running.body.next_cursor}`, consistent);
    t.equal(next.body.data[0].id, listed[0].id);
    const local = await app.call('GET', '/api/v1/instances?provider=local&limit=3', consistent);
    t.same(
      local.body.data.map((instance: { id: string }) => instance.id),
      listed.map(({ id }) => id).reverse(),
    );
    const unknownProvider = await app.call('GET', '/api/v1/instances?provider=aws', consistent);
    t.equal(unknownProvider.status, 400, 'a provider instances are not deployed with is refused');
    t.equal(unknownProvider.body.error.param, 'provider');
    const refused = await app.call('GET', '/api/v1/instances?status=sleeping');
    t.equal(refused.body.error.param, 'status');
  });
});
