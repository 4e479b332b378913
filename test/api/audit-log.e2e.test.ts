import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { csvField } from '../../api/routes/audit-logs.js';
import { createOtherTeam, startTestBosun, type TestBosun } from './harness.js';

const keyOf = async (app: TestBosun, name: string, role: string, as?: string) => {
  const issued = await app.call('POST', '/api/v1/api-keys', { body: { name, role }, ...(as ? { key: as } : {}) });
  if (issued.status !== 201) throw new Error(`issuing a ${role} key answered ${issued.status}`);
  return { id: issued.body.id as string, key: issued.body.key as string };
};

/** The read models have every event appended so far. */
const settled = async (app: TestBosun) => {
  if (!(await app.bosun.readSide.waitFor(await app.bosun.events.headPosition(), 10_000))) throw new Error('read models did not catch up');
};

const exported = async (app: TestBosun, query: string, accept?: string, key?: string) => {
  const response = await fetch(`${app.bosun.url}/api/v1/audit-logs/export${query}`, {
    headers: { authorization: `Bearer ${key ?? 'test-admin-key-0123456789'}`, ...(accept ? { accept } : {}) },
  });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};

t.test('the audit log', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const developer = await keyOf(app, 'ci pipeline', 'developer');
  const auditor = await keyOf(app, 'auditor', 'auditor');
  const submitted = await app.call('POST', '/api/v1/tasks', {
    key: developer.key,
    body: { kind: 'echo', input: { n: 1 } },
    headers: { 'X-Request-Id': 'req-audited-submit', 'User-Agent': 'audit-test, "quoted"', 'X-Correlation-Id': 'corr-1' },
  });
  t.equal(submitted.status, 202);
  const taskId = submitted.body.id as string;
  const cancelled = await app.call('POST', `/api/v1/tasks/${taskId}/cancel`, {
    key: developer.key,
    body: {},
    headers: { 'X-Request-Id': 'req-audited-cancel' },
  });
  t.equal(cancelled.status, 200);
  await settled(app);

  t.test('given a developer submitted a task, when an auditor lists by request id, then one record says who, what, on what, when and from where', async (t) => {
    const listed = await app.call('GET', '/api/v1/audit-logs?request_id=req-audited-submit', { key: auditor.key });
    t.equal(listed.status, 200);
    t.equal(listed.body.data.length, 1);
    t.match(listed.body.data[0], {
      object: 'audit_log',
      actor: { type: 'api_key', id: developer.id, name: 'ci pipeline' },
      action: 'task.submit',
      resource: { type: 'task', id: taskId },
      event_types: ['task.submitted'],
      result: 'succeeded',
      request_id: 'req-audited-submit',
      correlation_id: 'corr-1',
      user_agent: 'audit-test, "quoted"',
      client_ip: /\S/,
      occurred_at: /^\d{4}-\d\d-\d\dT/,
    });
  });

  t.test('given a command that wrote several events, when it is listed, then it is one record naming each event type', async (t) => {
    const created = await app.call('POST', '/api/v1/teams', { body: { name: 'audited' }, headers: { 'X-Request-Id': 'req-audited-team' } });
    t.equal(created.status, 201);
    await settled(app);
    const listed = await app.call('GET', '/api/v1/audit-logs?request_id=req-audited-team', { key: created.body.admin_key.key });
    // Newest first: the team's two default alert rules, each its own command on its own stream, then the team.
    t.match(listed.body.data, [
      { action: 'alert_rule.create', resource: { type: 'alert_rule' }, event_types: ['alert_rule.created'] },
      { action: 'alert_rule.create', resource: { type: 'alert_rule' }, event_types: ['alert_rule.created'] },
      { action: 'team.create', resource: { type: 'team', id: created.body.id }, event_types: ['team.created', 'team.api_key_issued'] },
    ]);
    t.equal(listed.body.data.length, 3);
    t.same(
      listed.body.data.map((record: { actor: { name: string | null } }) => record.actor.name),
      [null, null, null],
      "the system admin's key is not named to another team",
    );
  });

  t.test('when the log is filtered by actor, action, resource and time, then only what matches is listed', async (t) => {
    const byActor = await app.call('GET', `/api/v1/audit-logs?actor_id=${developer.id}`);
    t.same(
      byActor.body.data.map((r: { action: string }) => r.action),
      ['task.cancel', 'task.submit'],
    );
    const byAction = await app.call('GET', '/api/v1/audit-logs?action=task.cancel');
    t.same(
      byAction.body.data.map((r: { request_id: string }) => r.request_id),
      ['req-audited-cancel'],
    );
    const byResource = await app.call('GET', `/api/v1/audit-logs?resource_type=task&resource_id=${taskId}`);
    t.equal(byResource.body.data.length, 2);
    const issued = await app.call('GET', '/api/v1/audit-logs?action=team.issue_api_key&actor_type=api_key');
    t.equal(issued.body.data.length, 2, 'the two keys issued');
    const past = await app.call('GET', `/api/v1/audit-logs?to=${encodeURIComponent('2000-01-01T00:00:00Z')}`);
    t.same(past.body.data, []);
    const future = await app.call('GET', `/api/v1/audit-logs?from=${encodeURIComponent('2999-01-01T00:00:00+02:00')}`);
    t.same(future.body.data, []);
    const at = byAction.body.data[0].occurred_at as string;
    const around = await app.call(
      'GET',
      `/api/v1/audit-logs?actor_id=${developer.id}&from=${encodeURIComponent(at)}&to=${encodeURIComponent(new Date(Date.parse(at) + 1).toISOString())}`,
    );
    t.same(
      around.body.data.map((r: { action: string }) => r.action),
      ['task.cancel'],
    );
  });

  t.test('when the log is paged, then each page follows the last without repeating it', async (t) => {
    const first = await app.call('GET', '/api/v1/audit-logs?limit=1');
    t.equal(first.body.has_more, true);
    const second = await app.call('GET', `/api/v1/audit-logs?limit=1&cursor=${first.body.next_cursor}`);
    t.equal(second.body.data.length, 1);
    t.not(second.body.data[0].id, first.body.data[0].id);
    t.ok(second.body.data[0].first_position < first.body.data[0].first_position, 'newest first');
  });

  t.test('when a filter is malformed, then 400 names it', async (t) => {
    t.match(await app.call('GET', '/api/v1/audit-logs?from=yesterday'), { status: 400, body: { error: { param: 'from' } } });
    t.match(await app.call('GET', '/api/v1/audit-logs?actor_type=robot'), { status: 400, body: { error: { param: 'actor_type' } } });
    t.match(await app.call('GET', '/api/v1/audit-logs/export?who=me'), { status: 400, body: { error: { code: 'unknown_field', param: 'who' } } });
  });

  t.test('given the roles, when they read the audit log, then auditors and admins may and an auditor changes nothing', async (t) => {
    const viewer = await keyOf(app, 'viewer', 'viewer');
    t.equal((await app.call('GET', '/api/v1/audit-logs', { key: auditor.key })).status, 200);
    t.equal((await app.call('GET', '/api/v1/tasks', { key: auditor.key })).status, 200);
    t.match(await app.call('GET', '/api/v1/audit-logs', { key: viewer.key }), { status: 403, body: { error: { message: /auditor or admin/ } } });
    t.match(await app.call('GET', '/api/v1/audit-logs', { key: developer.key }), { status: 403 });
    t.match(await app.call('POST', '/api/v1/tasks', { key: auditor.key, body: { kind: 'echo', input: {} } }), { status: 403 });
    t.match(await app.call('POST', '/api/v1/api-keys', { key: auditor.key, body: { name: 'x', role: 'viewer' } }), { status: 403 });
  });

  t.test("given another team, when its admin reads the audit log, then it sees none of this team's records", async (t) => {
    const other = await createOtherTeam(app, 'elsewhere');
    await settled(app);
    const listed = await app.call('GET', '/api/v1/audit-logs?limit=100', { key: other });
    t.equal(listed.status, 200);
    t.same(
      listed.body.data.map((r: { action: string }) => r.action),
      ['alert_rule.create', 'alert_rule.create', 'team.create'],
      'its creation and its default alert rules',
    );
    t.same((await app.call('GET', `/api/v1/audit-logs?resource_id=${taskId}`, { key: other })).body.data, []);
    const all = await exported(app, '', undefined, other);
    t.notMatch(all.text, taskId);
    t.notMatch(all.text, 'req-audited-submit');
  });

  t.test('when the log is exported, then NDJSON has every record the list has, one per line', async (t) => {
    const listed = await app.call('GET', '/api/v1/audit-logs?limit=100');
    const all = await exported(app, '');
    t.equal(all.status, 200);
    t.match(all.type, /^application\/x-ndjson/);
    const lines = all.text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    t.same(lines, listed.body.data);
    const filtered = await exported(app, `?actor_id=${developer.id}&action=task.submit`);
    t.same(
      filtered.text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).request_id),
      ['req-audited-submit'],
    );
  });

  t.test('when the log is exported with Accept: text/csv, then a header row and one escaped row per record', async (t) => {
    const all = await exported(app, '?request_id=req-audited-submit', 'text/csv', auditor.key);
    t.equal(all.status, 200);
    t.match(all.type, /^text\/csv/);
    const rows = all.text.split('\r\n');
    t.equal(
      rows[0],
      'id,occurred_at,last_at,count,actor_type,actor_id,actor_name,action,resource_type,resource_id,event_types,result,request_id,correlation_id,causation_id,client_ip,user_agent,first_position,last_position',
    );
    t.equal(rows.length, 3, 'header, one record, and the final line end');
    t.match(rows[1], `,api_key,${developer.id},ci pipeline,task.submit,task,${taskId},task.submitted,succeeded,req-audited-submit,corr-1,`);
    t.match(rows[1], ',"audit-test, ""quoted""",');
    t.equal(rows[2], '');
  });
});

/** Every byte Bosun stored under `dir`: the event store, the read models, checkpoints. */
const storedBytes = (dir: string): Buffer =>
  Buffer.concat(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(entry.parentPath, entry.name))),
  );

t.test('refused requests', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const viewer = await keyOf(app, 'read only', 'viewer');
  const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } });
  const other = await createOtherTeam(app, 'prober');
  const secret = 'bsk_presented-secret-that-must-not-be-stored';

  // When 5,000 requests present bad keys, one comes without a key, a viewer submits and another team probes an id...
  let sent = 0;
  await Promise.all(
    Array.from({ length: 25 }, async () => {
      while (sent < 5000) {
        const n = sent++;
        const answer = await app.call('GET', '/api/v1/tasks', { key: `${secret}-${n}`, headers: { 'User-Agent': 'flood/1.0' } });
        if (answer.status !== 401) throw new Error(`a bad key answered ${answer.status}`);
      }
    }),
  );
  t.equal((await app.call('GET', '/api/v1/instances', { key: null })).status, 401);
  t.equal((await app.call('POST', '/api/v1/tasks', { key: viewer.key, body: { kind: 'echo', input: {} } })).status, 403);
  t.equal((await app.call('GET', `/api/v1/tasks/${submitted.body.id}`, { key: other })).status, 404);
  await app.bosun.refusals.flush();
  await settled(app);

  t.test("then the flood of bad keys is one record with its count, in the system team's log", async (t) => {
    const listed = await app.call('GET', '/api/v1/audit-logs?result=unauthenticated');
    t.match(listed.body.data, [
      { action: 'access.refused', resource: { type: 'route', id: 'GET /api/v1/instances' }, actor: { type: 'anonymous' }, count: 1 },
      {
        action: 'access.refused',
        resource: { type: 'route', id: 'GET /api/v1/tasks' },
        actor: { type: 'anonymous', id: /\S/ },
        count: 5000,
        user_agent: 'flood/1.0',
      },
    ]);
    t.equal(listed.body.data.length, 2);
  });

  t.test('then the presented keys are stored nowhere', async (t) => {
    t.equal(storedBytes(app.dataDir).indexOf(secret), -1);
  });

  t.test("then the viewer's refused write is in its team's log, with its key", async (t) => {
    const listed = await app.call('GET', '/api/v1/audit-logs?result=forbidden');
    t.match(listed.body.data, [{ actor: { type: 'api_key', id: viewer.id, name: 'read only' }, resource: { id: 'POST /api/v1/tasks' }, count: 1 }]);
    t.equal(listed.body.data.length, 1);
  });

  t.test("then the probe of another team's id is in the prober's log only, without the id", async (t) => {
    const probed = await app.call('GET', '/api/v1/audit-logs?result=not_found', { key: other });
    t.match(probed.body.data, [{ action: 'access.refused', resource: { type: 'route', id: 'GET /api/v1/tasks/:id' }, actor: { type: 'api_key' } }]);
    t.equal(probed.body.data.length, 1);
    t.same((await app.call('GET', '/api/v1/audit-logs?result=not_found')).body.data, []);
  });
});

t.test('CSV fields: commas, quotes and line breaks are quoted, quotes doubled, null empty', async (t) => {
  t.equal(csvField('plain'), 'plain');
  t.equal(csvField('a,b'), '"a,b"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
  t.equal(csvField('two\nlines'), '"two\nlines"');
  t.equal(csvField('cr\rlf'), '"cr\rlf"');
  t.equal(csvField(null), '');
  t.equal(csvField(42), '42');
});
