import t from 'tap';
import { createOtherTeam, startTestBosun, type Call, type TestBosun } from './harness.js';

/** Calls until `done` holds of the answer (the lookups a key is checked against follow the log within moments), else the last answer. */
const until = async (call: () => Promise<Call>, done: (answer: Call) => boolean, timeoutMs = 5000): Promise<Call> => {
  let answer = await call();
  for (const started = Date.now(); !done(answer) && Date.now() - started < timeoutMs;) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    answer = await call();
  }
  return answer;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const me = (app: TestBosun, key: string) => () => app.call('GET', '/api/v1/me', { key });
const works = (answer: Call) => answer.status === 200;
const refused = (answer: Call) => answer.status === 401;

t.test('API key lifecycle, identity and teams', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const otherAdmin = await createOtherTeam(app, 'other');
  const issue = async (body: object) => {
    const issued = await app.call('POST', '/api/v1/api-keys', { body });
    if (issued.status !== 201) throw new Error(`key not issued: ${JSON.stringify(issued.body)}`);
    await until(me(app, issued.body.key), works);
    return issued.body as { id: string; key: string; position: number };
  };

  t.test('GET /me tells the caller its key, team and role', async (t) => {
    const key = await issue({ name: 'dashboard', role: 'viewer' });
    const answer = await app.call('GET', '/api/v1/me', { key: key.key });
    t.match(answer, {
      status: 200,
      body: {
        object: 'identity',
        role: 'viewer',
        api_key: { id: key.id, name: 'dashboard', role: 'viewer', expires_at: null },
        team: { object: 'team', system: true },
      },
    });
    t.notOk('key' in answer.body.api_key, 'never the secret');
    const other = await app.call('GET', '/api/v1/me', { key: otherAdmin });
    t.match(other.body, { role: 'admin', team: { name: 'other', system: false } });
  });

  t.test('rotation with grace 0: the new secret works and the old one stops at once', async (t) => {
    const key = await issue({ name: 'ci', role: 'developer' });
    const rotated = await app.call('POST', `/api/v1/api-keys/${key.id}/rotate`, { body: { grace_seconds: 0 } });
    t.match(rotated, { status: 200, body: { object: 'api_key', id: key.id, key: /^bsn_/ } });
    t.not(rotated.body.key, key.key);
    t.ok(Date.parse(rotated.body.previous_valid_until) <= Date.now(), 'the previous secret stopped at the rotation');
    t.equal((await until(me(app, rotated.body.key), works)).status, 200, 'the new secret works');
    const old = await until(me(app, key.key), refused);
    t.match(old, { status: 401, body: { error: { type: 'authentication_error', code: 'expired_api_key', message: /rotated/ } } });
    const listed = await app.call('GET', `/api/v1/api-keys/${key.id}`);
    t.match(listed.body, { id: key.id, prefix: rotated.body.prefix, rotated_at: /^\d{4}-/ });
  });

  t.test('rotation with a short grace: both secrets work until it ends, then only the new one', async (t) => {
    const key = await issue({ name: 'deployer', role: 'operator' });
    const rotated = await app.call('POST', `/api/v1/api-keys/${key.id}/rotate`, { body: { grace_seconds: 2 } });
    t.equal(rotated.status, 200);
    await until(me(app, rotated.body.key), works);
    t.equal((await app.call('GET', '/api/v1/me', { key: key.key })).status, 200, 'the old secret works during the grace period');
    await sleep(Math.max(0, Date.parse(rotated.body.previous_valid_until) - Date.now()) + 50);
    t.match(await app.call('GET', '/api/v1/me', { key: key.key }), { status: 401, body: { error: { code: 'expired_api_key' } } }, 'then stops');
    t.equal((await app.call('GET', '/api/v1/me', { key: rotated.body.key })).status, 200, 'the new one goes on');
  });

  t.test('rotation without a body grants 24 h; a grace period out of range is refused', async (t) => {
    const key = await issue({ name: 'nightly', role: 'viewer' });
    const rotated = await app.call('POST', `/api/v1/api-keys/${key.id}/rotate`);
    t.equal(rotated.status, 200);
    t.ok(Math.abs(Date.parse(rotated.body.previous_valid_until) - Date.now() - 24 * 3600 * 1000) < 60_000, 'about a day from now');
    const bad = await app.call('POST', `/api/v1/api-keys/${key.id}/rotate`, { body: { grace_seconds: -1 } });
    t.match(bad, { status: 400, body: { error: { param: 'grace_seconds' } } });
  });

  t.test('an expiring key works until expires_at, then answers 401 expired_api_key; a past expiry is refused', async (t) => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const key = await issue({ name: 'temporary', role: 'viewer', expires_at: expiresAt });
    t.equal((await app.call('GET', `/api/v1/api-keys/${key.id}`)).body.expires_at, expiresAt);
    t.equal((await app.call('GET', '/api/v1/me', { key: key.key })).body.api_key.expires_at, expiresAt);
    await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 50);
    t.match(await app.call('GET', '/api/v1/me', { key: key.key }), {
      status: 401,
      body: { error: { type: 'authentication_error', code: 'expired_api_key', message: /expired/ } },
    });
    const past = await app.call('POST', '/api/v1/api-keys', { body: { name: 'late', role: 'viewer', expires_at: '2020-01-01T00:00:00Z' } });
    t.match(past, { status: 400, body: { error: { param: 'expires_at' } } });
    const malformed = await app.call('POST', '/api/v1/api-keys', { body: { name: 'late', role: 'viewer', expires_at: 'tomorrow' } });
    t.match(malformed, { status: 400, body: { error: { param: 'expires_at' } } });
  });

  t.test('rename and delete; a deleted key stops working and is no longer listed or found', async (t) => {
    const key = await issue({ name: 'old-name', role: 'viewer' });
    const renamed = await app.call('PATCH', `/api/v1/api-keys/${key.id}`, { body: { name: 'new-name' } });
    t.match(renamed, { status: 200, body: { id: key.id, name: 'new-name' } });
    const read = await app.call('GET', `/api/v1/api-keys/${key.id}`, { headers: { 'x-min-position': String(renamed.body.position) } });
    t.equal(read.body.name, 'new-name');
    const self = await app.call('DELETE', `/api/v1/api-keys/${key.id}`, { key: key.key });
    t.equal(self.status, 403, 'a viewer cannot delete keys');
    const deleted = await app.call('DELETE', `/api/v1/api-keys/${key.id}`);
    t.match(deleted, { status: 200, body: { id: key.id, deleted: true } });
    t.equal((await until(me(app, key.key), refused)).body.error.code, 'invalid_api_key');
    const consistent = { 'x-min-position': String(deleted.body.position) };
    t.equal((await app.call('GET', `/api/v1/api-keys/${key.id}`, { headers: consistent })).status, 404);
    t.equal((await app.call('DELETE', `/api/v1/api-keys/${key.id}`)).status, 404);
    const list = await app.call('GET', '/api/v1/api-keys?limit=100', { headers: consistent });
    t.notOk(list.body.data.some((listed: { id: string }) => listed.id === key.id));
  });

  t.test('revoke stops a key at once; a revoked key cannot be rotated', async (t) => {
    const key = await issue({ name: 'leaked', role: 'viewer' });
    t.equal((await app.call('POST', `/api/v1/api-keys/${key.id}/revoke`)).status, 200);
    t.equal((await until(me(app, key.key), refused)).body.error.code, 'invalid_api_key');
    t.equal((await app.call('POST', `/api/v1/api-keys/${key.id}/rotate`, { body: { grace_seconds: 0 } })).status, 409);
  });

  t.test("another team's key id answers 404 on every key route", async (t) => {
    const key = await issue({ name: 'mine', role: 'viewer' });
    const calls: [string, string, object?][] = [
      ['GET', `/api/v1/api-keys/${key.id}`],
      ['PATCH', `/api/v1/api-keys/${key.id}`, { name: 'stolen' }],
      ['DELETE', `/api/v1/api-keys/${key.id}`],
      ['POST', `/api/v1/api-keys/${key.id}/rotate`, { grace_seconds: 0 }],
      ['POST', `/api/v1/api-keys/${key.id}/revoke`],
    ];
    for (const [method, path, body] of calls) {
      const answer = await app.call(method, path, { key: otherAdmin, ...(body ? { body } : {}) });
      t.equal(answer.status, 404, `${method} ${path}`);
      t.notMatch(JSON.stringify(answer.body), /mine/);
    }
    t.equal((await app.call('GET', '/api/v1/me', { key: key.key })).status, 200, 'the key is untouched');
  });

  t.test('teams: system admins list them with key counts and rename them; others are refused', async (t) => {
    const otherTeam = (await app.call('GET', '/api/v1/team', { key: otherAdmin })).body.id as string;
    const list = await app.call('GET', '/api/v1/teams?limit=100');
    t.equal(list.status, 200);
    const listed = list.body.data.find((team: { id: string }) => team.id === otherTeam);
    t.match(listed, { object: 'team', name: 'other', system: false, api_key_count: 1 });
    const renamed = await app.call('PATCH', `/api/v1/teams/${otherTeam}`, { body: { name: 'payments' } });
    t.match(renamed, { status: 200, body: { id: otherTeam, name: 'payments', api_key_count: 1 } });
    const seen = await app.call('GET', '/api/v1/team', { key: otherAdmin, headers: { 'x-min-position': String(renamed.body.position) } });
    t.equal(seen.body.name, 'payments', 'the team sees its new name');
    t.equal((await app.call('GET', '/api/v1/teams', { key: otherAdmin })).status, 403, "another team's admin cannot list teams");
    t.equal((await app.call('PATCH', `/api/v1/teams/${otherTeam}`, { key: otherAdmin, body: { name: 'mine now' } })).status, 403, 'nor rename its own');
    const system = (await app.call('GET', '/api/v1/team')).body.id as string;
    t.equal((await app.call('PATCH', `/api/v1/teams/${system}`, { key: otherAdmin, body: { name: 'taken' } })).status, 404, 'nor see the system team');
    const viewer = await issue({ name: 'system-viewer', role: 'viewer' });
    t.equal((await app.call('GET', '/api/v1/teams', { key: viewer.key })).status, 403, 'a viewer of the system team cannot list teams');
  });

  t.test('usage: requests per key and day, and the last use, appear after a flush', async (t) => {
    const key = await issue({ name: 'counted', role: 'viewer' });
    // What `issue` counted while waiting for the key to work is flushed first.
    await app.bosun.keyUsage.flush();
    const before = (await app.call('GET', `/api/v1/api-keys/${key.id}`)).body;
    const counted = before.requests_per_day[0]?.requests ?? 0;
    for (let i = 0; i < 3; i++) t.equal((await app.call('GET', '/api/v1/me', { key: key.key })).status, 200);
    t.same((await app.call('GET', `/api/v1/api-keys/${key.id}`)).body.requests_per_day, before.requests_per_day, 'nothing new before a flush');
    await app.bosun.keyUsage.flush();
    const after = (await app.call('GET', `/api/v1/api-keys/${key.id}`)).body;
    const today = new Date().toISOString().slice(0, 10);
    t.match(after.requests_per_day, [{ date: today, requests: counted + 3 }]);
    t.ok(Date.parse(after.last_used_at) > Date.now() - 60_000, 'last_used_at is recent');
    const listed = (await app.call('GET', '/api/v1/api-keys?limit=100')).body.data.find((k: { id: string }) => k.id === key.id);
    t.match(listed, { last_used_at: after.last_used_at, requests_per_day: [{ date: today, requests: counted + 3 }] });
  });

  t.test('the audit log records the new commands by action', async (t) => {
    await app.bosun.keyUsage.flush();
    const log = await until(
      () => app.call('GET', '/api/v1/audit-logs?limit=100'),
      (answer) => ['rotate_api_key', 'rename_api_key', 'delete_api_key'].every((action) => JSON.stringify(answer.body).includes(`team.${action}`)),
    );
    const actions = new Set(log.body.data.map((record: { action: string }) => record.action));
    for (const action of ['team.issue_api_key', 'team.rotate_api_key', 'team.rename_api_key', 'team.delete_api_key', 'team.revoke_api_key']) {
      t.ok(actions.has(action), action);
    }
    const otherLog = await until(
      () => app.call('GET', '/api/v1/audit-logs?limit=100', { key: otherAdmin }),
      (answer) => JSON.stringify(answer.body).includes('team.rename'),
    );
    t.ok(
      otherLog.body.data.some(
        (record: { action: string; event_types: string[] }) => record.action === 'team.rename' && record.event_types.includes('team.renamed'),
      ),
      "the renamed team's audit log holds the rename",
    );
  });
});
