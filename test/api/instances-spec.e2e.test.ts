import t from 'tap';
import type { InstanceSpec } from '../../domain/instance/index.js';
import { instanceStream } from '../../events/streams.js';
import { startTestBosun } from './harness.js';

t.test('changing the desired spec with a merge patch', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const deployed = await app.call('POST', '/api/v1/instances', {
    body: {
      name: 'worker-1',
      provider: 'local',
      spec: { runtime_version: '1.4.0', settings: { timeout: 30, api_token: 's3cret', region: 'eu' }, resources: { cpus: 2, ports: [8080] } },
    },
  });
  const id = deployed.body.id as string;
  t.equal(deployed.body.spec.settings.api_token, '[redacted]', 'a secret is never answered');

  /** The desired spec as the log holds it, secrets sealed. */
  const lastSpecEvent = async () => {
    const events = await app.bosun.events.readStream(instanceStream(id));
    return (events.filter((event) => event.type === 'instance.spec_changed').at(-1) ?? events[0])!;
  };
  const sealedSpec = async () => ((await lastSpecEvent()).data as { spec: InstanceSpec }).spec;
  /** The desired spec with its secrets opened, as the agent and drift detection see it. */
  const storedSpec = async () => {
    const last = await lastSpecEvent();
    return app.bosun.commands.secrets.openSpec(last.tenant, (last.data as { spec: InstanceSpec }).spec);
  };

  t.test('a secret value is sealed in the log: only ciphertext is stored', async (t) => {
    const sealed = await sealedSpec();
    t.match(sealed.settings.api_token, { $sealed: { v: 1, key: 'settings', data: /^[\w-]+$/ } });
    t.equal(sealed.settings.timeout, 30, 'settings that do not look secret stay as they are');
    const log = JSON.stringify(await app.bosun.events.readStream(instanceStream(id)));
    t.notOk(log.includes('s3cret'), 'the value is nowhere in the stream');
    t.equal((await storedSpec()).settings.api_token, 's3cret', 'it opens to the value sent');
  });

  t.test('settings merge name by name, null deleting one; other fields stay', async (t) => {
    // A JSON merge patch, under its own media type (RFC 7396).
    const patched = await app.call('PATCH', `/api/v1/instances/${id}`, {
      body: { spec: { settings: { timeout: 60, region: null, retries: 3 } } },
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    t.equal(patched.status, 200);
    t.same(patched.body.spec.settings, { timeout: 60, api_token: '[redacted]', retries: 3 });
    t.equal(patched.body.spec.runtime_version, '1.4.0');
    t.same(patched.body.spec.resources, { cpus: 2, memory_mb: null, ports: [8080], region: null });
    t.equal(patched.body.revision, 1);
    t.ok(patched.body.position > deployed.body.position);
    t.same((await storedSpec()).settings, { timeout: 60, api_token: 's3cret', retries: 3 }, 'the secret kept its value');

    const read = await app.call('GET', `/api/v1/instances/${id}`, { headers: { 'x-min-position': String(patched.body.position) } });
    t.same(read.body.spec, patched.body.spec);
  });

  t.test('a secret sent back as shown keeps its value; a new one replaces it, still hidden', async (t) => {
    const current = await app.call('GET', `/api/v1/instances/${id}`);
    const before = (await sealedSpec()).settings.api_token;
    const sentBack = await app.call('PATCH', `/api/v1/instances/${id}`, { body: { spec: { settings: current.body.spec.settings } } });
    t.equal(sentBack.status, 200);
    t.equal((await storedSpec()).settings.api_token, 's3cret');
    const again = await app.call('PATCH', `/api/v1/instances/${id}`, { body: { spec: { settings: { api_token: 's3cret' } } } });
    t.equal(again.status, 200);
    t.same((await sealedSpec()).settings.api_token, before, 'the same value sent again keeps its sealed form');

    const rotated = await app.call('PATCH', `/api/v1/instances/${id}`, { body: { spec: { settings: { api_token: 'rotated' } } } });
    t.equal(rotated.body.spec.settings.api_token, '[redacted]');
    t.notOk(JSON.stringify(rotated.body).includes('rotated'));
    t.equal((await storedSpec()).settings.api_token, 'rotated');
  });

  t.test('top-level fields replace; null puts one back to its default', async (t) => {
    const patched = await app.call('PATCH', `/api/v1/instances/${id}`, {
      body: { spec: { resources: { memory_mb: 1024 }, runtime_version: null, skills: [{ name: 'git', version: '2.1', enabled: false }] } },
    });
    t.same(patched.body.spec.resources, { cpus: null, memory_mb: 1024, ports: [], region: null });
    t.equal(patched.body.spec.runtime_version, null);
    t.same(patched.body.spec.skills, [{ name: 'git', version: '2.1', enabled: false }]);
  });

  t.test('an invalid patch is refused naming the field, and changes nothing', async (t) => {
    const before = await app.call('GET', `/api/v1/instances/${id}`);
    for (const [body, field] of [
      [{ spec: { max_concurrent_tasks: 0 } }, 'spec.max_concurrent_tasks'],
      [{ spec: { resources: { cpus: 'two' } } }, 'spec.resources.cpus'],
      [{ spec: { provider: 'aws' } }, 'spec.provider'],
      [{ spec: {}, settings: {} }, 'settings'],
      [{}, 'spec'],
    ] as const) {
      const refused = await app.call('PATCH', `/api/v1/instances/${id}`, { body });
      t.equal(refused.status, 400, JSON.stringify(body));
      t.equal(refused.body.error.param, field);
    }
    const after = await app.call('GET', `/api/v1/instances/${id}`);
    t.equal(after.body.revision, before.body.revision);
  });

  t.test('a viewer cannot change the spec', async (t) => {
    const viewer = await app.call('POST', '/api/v1/api-keys', { body: { name: 'ro', role: 'viewer' } });
    const refused = await app.call('PATCH', `/api/v1/instances/${id}`, { key: viewer.body.key, body: { spec: {} } });
    t.equal(refused.status, 403);
  });

  t.test('an unknown instance is not found', async (t) => {
    const missing = await app.call('PATCH', '/api/v1/instances/nope', { body: { spec: {} } });
    t.equal(missing.status, 404);
    t.equal(missing.body.error.type, 'not_found_error');
  });
});
