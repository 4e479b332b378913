import t from 'tap';
import type { InstanceEvent, InstanceSpec } from '../../domain/instance/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { instanceCollection, instanceProjector } from '../../projections/instances/instance-projector.js';
import { evolveInstanceView } from '../../projections/instances/instance-view.js';

const instanceId = 'i-1';
let position = 100;
const recorded = (revision: number, event: InstanceEvent, tenant = 'team-a'): RecordedEvent => ({
  id: `e-${revision}`,
  stream: `instance-${instanceId}`,
  revision,
  position: ++position,
  tenant,
  type: event.type,
  data: event.data,
  metadata: {
    actor: { type: 'workflow', id: 'w1' },
    correlation_id: 'c',
    causation_id: null,
    request_id: null,
    client_ip: null,
    user_agent: null,
    occurred_at: `2026-01-01T00:00:${String(revision).padStart(2, '0')}.000Z`,
    schema_version: 1,
  },
});

const spec: InstanceSpec = {
  skills: [{ name: 'git', version: '2.1' }],
  runtime_version: '1.4.0',
  settings: { timeout: 30, api_token: 's3cret', db: { host: 'db', password: 'hunter2' } },
  resources: { cpus: 2, memory_mb: 2048, ports: [8080], region: 'eu-west' },
  max_concurrent_tasks: 2,
};
const tokenHash = 'a'.repeat(64);
const credentialHash = 'b'.repeat(64);

const deployed = recorded(0, { type: 'instance.deploy_requested', data: { instance_id: instanceId, name: 'worker-1', provider: 'local', spec } });
const opened = recorded(1, { type: 'instance.registration_opened', data: { token_hash: tokenHash } });
const registered = recorded(2, { type: 'instance.agent_registered', data: { credential_hash: credentialHash, agent_version: '0.3.0', hostname: 'box-1' } });
const provisioned = recorded(3, { type: 'instance.provisioned', data: { endpoint: null } });
const healthy = recorded(4, { type: 'instance.health_changed', data: { health: 'healthy', reason: 'heartbeat' } });
const suspendRequested = recorded(5, { type: 'instance.suspend_requested', data: {} });
const backupRequested = recorded(6, { type: 'instance.backup_requested', data: { backup_id: 'b-1' } });
const backupCompleted = recorded(7, { type: 'instance.backup_completed', data: { backup_id: 'b-1', location: '/backups/b-1', size_bytes: 1024 } });
const specChanged = recorded(8, { type: 'instance.spec_changed', data: { spec: { ...spec, settings: { password: 'new', timeout: 60 } } } });
const suspended = recorded(9, { type: 'instance.suspended', data: {} });

const history = [deployed, opened, registered, provisioned, healthy, suspendRequested, backupRequested, backupCompleted, specChanged, suspended];

const project = async (events: RecordedEvent[]) => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  for (const event of events) await instanceProjector.apply(event, store);
  return instanceCollection(store).get(instanceId);
};

t.test('given a deploy request, the instance is provisioning with its spec and allowed actions', async (t) => {
  const view = await project([deployed]);
  t.match(view, {
    id: instanceId,
    tenant: 'team-a',
    seq: deployed.position,
    revision: 0,
    position: deployed.position,
    name: 'worker-1',
    provider: 'local',
    status: 'provisioning',
    pending: null,
    health: 'unknown',
    health_reason: null,
    agent: null,
    backups: [],
    last_error: null,
    created_at: '2026-01-01T00:00:00.000Z',
  });
  t.same(view?.allowed_actions, ['change_spec']);
});

t.test('given an instance history, the view follows it', async (t) => {
  const view = await project(history);
  t.match(view, {
    status: 'suspended',
    pending: null,
    health: 'healthy',
    health_reason: 'heartbeat',
    agent: { version: '0.3.0', hostname: 'box-1', registered_at: '2026-01-01T00:00:02.000Z' },
    backups: [
      {
        backup_id: 'b-1',
        status: 'completed',
        location: '/backups/b-1',
        size_bytes: 1024,
        error: null,
        requested_at: '2026-01-01T00:00:06.000Z',
        finished_at: '2026-01-01T00:00:07.000Z',
      },
    ],
    revision: 9,
    position: suspended.position,
    seq: deployed.position,
    updated_at: '2026-01-01T00:00:09.000Z',
  });
  t.same(view?.allowed_actions, ['change_spec', 'resume', 'destroy', 'backup']);
});

t.test('a pending suspend blocks another suspend, as the domain table says', async (t) => {
  const view = await project(history.slice(0, 6));
  t.equal(view?.pending, 'suspend');
  t.same(view?.allowed_actions, ['change_spec', 'destroy', 'backup']);
});

t.test('provisioning failures and failed backups are shown', async (t) => {
  const failed = await project([deployed, recorded(1, { type: 'instance.provisioning_failed', data: { error: { code: 'quota', message: 'no capacity' } } })]);
  t.match(failed, { status: 'failed', last_error: { code: 'quota', message: 'no capacity' }, allowed_actions: [] });
  const backupFailed = await project([
    deployed,
    recorded(1, { type: 'instance.provisioned', data: { endpoint: 'http://10.0.0.1:9000' } }),
    recorded(2, { type: 'instance.backup_requested', data: { backup_id: 'b-2' } }),
    recorded(3, { type: 'instance.backup_failed', data: { backup_id: 'b-2', error: { code: 'disk_full', message: 'no space' } } }),
  ]);
  t.match(backupFailed?.backups, [
    { backup_id: 'b-2', status: 'failed', error: { code: 'disk_full' }, location: null, finished_at: '2026-01-01T00:00:03.000Z' },
  ]);
});

t.test('applied twice, changed once', async (t) => {
  const once = await project(history);
  const twice = await project(history.flatMap((event) => [event, event]).concat([deployed, backupRequested]));
  t.same(twice, once);
  t.equal(twice?.backups.length, 1, 'a redelivered backup request is not a second backup');
});

t.test('secret-looking settings are redacted and no hash is kept', async (t) => {
  const deployedView = await project([deployed, opened, registered]);
  t.same(deployedView?.spec.settings, { timeout: 30, api_token: '[redacted]', db: { host: 'db', password: '[redacted]' } });
  const changed = await project(history);
  t.same(changed?.spec.settings, { password: '[redacted]', timeout: 60 });
  for (const view of [deployedView, changed]) {
    const text = JSON.stringify(view);
    for (const secret of ['s3cret', 'hunter2', tokenHash, credentialHash, '_hash']) t.notOk(text.includes(secret), `no ${secret.slice(0, 8)} in the view`);
  }
});

t.test('events of other aggregates, or before the deploy, are ignored', async (t) => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  await instanceProjector.apply({ ...deployed, type: 'task.submitted', stream: 'task-x' }, store);
  await instanceProjector.apply(provisioned, store);
  t.same(await instanceCollection(store).list({}, { limit: 10 }), []);
  t.equal(evolveInstanceView(null, provisioned), null);
});
