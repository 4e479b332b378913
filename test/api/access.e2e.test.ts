import t from 'tap';
import { createOtherTeam, startTestBosun } from './harness.js';

t.test('API keys, roles and teams', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const otherKey = await createOtherTeam(app, 'other');

  t.test("another team's task answers 404 and never its data", async (t) => {
    const mine = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { secret: 'mine' } } });
    const consistent = { 'x-min-position': String(mine.body.position) };
    const read = await app.call('GET', `/api/v1/tasks/${mine.body.id}`, { key: otherKey, headers: consistent });
    t.equal(read.status, 404);
    t.notMatch(JSON.stringify(read.body), /mine/);
    const cancel = await app.call('POST', `/api/v1/tasks/${mine.body.id}/cancel`, { key: otherKey, body: {} });
    t.equal(cancel.status, 404);
    const list = await app.call('GET', '/api/v1/tasks', { key: otherKey, headers: consistent });
    t.same(list.body.data, []);
    const still = await app.call('GET', `/api/v1/tasks/${mine.body.id}`);
    t.equal(still.body.status, 'pending', 'the other team could not cancel it');
  });

  t.test("a task cannot be pinned to another team's instance", async (t) => {
    const instance = await app.call('POST', '/api/v1/instances', {
      body: { name: 'pinned-elsewhere', provider: 'local', spec: { runtime_version: '1.0.0', skills: [], settings: {} } },
    });
    t.equal(instance.status, 202, JSON.stringify(instance.body));
    const pinned = await app.call('POST', '/api/v1/tasks', { key: otherKey, body: { kind: 'echo', input: {}, instance_id: instance.body.id } });
    t.match(pinned, { status: 400, body: { error: { param: 'instance_id', code: 'instance_missing' } } });
    t.notMatch(JSON.stringify(pinned.body), /pinned-elsewhere/);
    const mine = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, instance_id: instance.body.id } });
    t.equal(mine.status, 202, 'the owning team may');
  });

  t.test('roles: a viewer reads but cannot submit; a developer submits', async (t) => {
    const viewer = await app.call('POST', '/api/v1/api-keys', { body: { name: 'ci-viewer', role: 'viewer' } });
    t.equal(viewer.status, 201);
    t.match(viewer.body.key, /^bsn_/);
    const developer = await app.call('POST', '/api/v1/api-keys', { body: { name: 'ci-dev', role: 'developer' } });
    const consistent = { 'x-min-position': String(developer.body.position) };
    const denied = await app.call('POST', '/api/v1/tasks', { key: viewer.body.key, body: { kind: 'echo', input: {} } });
    t.equal(denied.status, 403);
    t.equal(denied.body.error.type, 'permission_error');
    const listed = await app.call('GET', '/api/v1/tasks', { key: viewer.body.key, headers: consistent });
    t.equal(listed.status, 200);
    const accepted = await app.call('POST', '/api/v1/tasks', { key: developer.body.key, body: { kind: 'echo', input: {} } });
    t.equal(accepted.status, 202);
    const keys = await app.call('GET', '/api/v1/api-keys', { key: developer.body.key });
    t.equal(keys.status, 403, 'only admins manage keys');
  });

  t.test('keys are stored as hashes and listed without secrets', async (t) => {
    const issued = await app.call('POST', '/api/v1/api-keys', { body: { name: 'hashed', role: 'viewer' } });
    const log = JSON.stringify(await app.bosun.events.readAll({ maxCount: 10_000 }));
    t.notMatch(log, issued.body.key, 'the secret never reaches the event log');
    const list = await app.call('GET', '/api/v1/api-keys', { headers: { 'x-min-position': String(issued.body.position) } });
    const listed = list.body.data.find((k: { id: string }) => k.id === issued.body.id);
    t.match(listed, { name: 'hashed', role: 'viewer', revoked: false });
    t.notOk('key' in listed);
  });

  t.test('a revoked key is refused', async (t) => {
    const issued = await app.call('POST', '/api/v1/api-keys', { body: { name: 'short-lived', role: 'viewer' } });
    const revoked = await app.call('POST', `/api/v1/api-keys/${issued.body.id}/revoke`, { body: {} });
    t.equal(revoked.status, 200);
    await app.bosun.readSide.waitFor(revoked.body.position, 5000);
    const refused = await app.call('GET', '/api/v1/tasks', { key: issued.body.key });
    t.equal(refused.status, 401);
  });

  t.test('only system team admins create teams', async (t) => {
    const refused = await app.call('POST', '/api/v1/teams', { key: otherKey, body: { name: 'nested' } });
    t.equal(refused.status, 403);
  });

  t.test('X-Api-Key works like a bearer token', async (t) => {
    const answer = await app.call('GET', '/api/v1/team', { key: null, headers: { 'x-api-key': otherKey } });
    t.equal(answer.status, 200);
    t.equal(answer.body.name, 'other');
  });
});
