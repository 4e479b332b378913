import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createOtherTeam, startTestBosun, type TestBosun } from './harness.js';
import { instanceDriver } from './instance-driver.js';

/** Polls `path` until `done` holds for its body. */
const until = async (app: TestBosun, path: string, done: (body: any) => boolean, key?: string): Promise<any> => {
  for (let waited = 0; ; waited += 20) {
    const { body } = await app.call('GET', path, key === undefined ? {} : { key });
    if (done(body)) return body;
    if (waited > 8000) throw new Error(`${path} never got there: ${JSON.stringify(body)}`);
    await sleep(20);
  }
};

/** The team's default no_heartbeat rule, once the evaluator has given the team its default rules. */
const noHeartbeatRule = async (app: TestBosun, key?: string) =>
  (await until(app, '/api/v1/alert-rules?kind=no_heartbeat', (body) => body.data?.length === 1, key)).data[0];

t.test('alerts raised by the team rules, as operators see and handle them', async (t) => {
  const app = await startTestBosun({ alertEvaluationMs: 50 });
  t.teardown(app.stop);
  const driver = instanceDriver(app);
  // The default rule allows 60 s of silence; the team makes it 1 s, so instances without agents alert at once.
  const rule = await noHeartbeatRule(app);
  const tightened = await app.call('PATCH', `/api/v1/alert-rules/${rule.id}`, { body: { condition: { kind: 'no_heartbeat', seconds: 1 } } });
  t.equal(tightened.status, 200);
  const silentInstance = async (name: string) => {
    const deployed = await app.call('POST', '/api/v1/instances', { body: { name, provider: 'local', spec: {} } });
    await driver.provision(deployed.body.id);
    const body = await until(app, `/api/v1/alerts?subject_id=${deployed.body.id}`, (page) => page.data.length === 1);
    return { instanceId: deployed.body.id as string, alert: body.data[0] };
  };
  const viewer = (await app.call('POST', '/api/v1/api-keys', { body: { name: 'watcher', role: 'viewer' } })).body.key as string;

  t.test('a running instance that sends no heartbeat raises an open alert about it, naming its rule', async (t) => {
    const { instanceId, alert } = await silentInstance('sick-1');
    t.match(alert, {
      object: 'alert',
      rule: 'no_heartbeat',
      rule_id: rule.id,
      severity: 'high',
      status: 'open',
      subject: { type: 'instance', id: instanceId },
      message: new RegExp(`^instance sick-1 \\(${instanceId}\\) sent no heartbeat for \\d+ s \\(the rule allows 1 s\\)$`),
      acknowledged_at: null,
      resolved_at: null,
      revision: 0,
    });
    t.notOk('tenant' in alert || 'seq' in alert || 'subject_id' in alert, 'storage fields stay inside');
    const read = await app.call('GET', `/api/v1/alerts/${alert.id}`, { key: viewer });
    t.equal(read.status, 200, 'viewers read alerts');
    t.same(read.body, alert);
    await sleep(300);
    t.equal((await app.call('GET', `/api/v1/alerts?subject_id=${instanceId}`)).body.data.length, 1, 'evaluated again and again, raised once');
  });

  t.test('once the instance no longer runs, its rule resolves the alert', async (t) => {
    const { instanceId, alert } = await silentInstance('sick-2');
    await driver.execute(instanceId, { type: 'SuspendInstance' });
    await driver.execute(instanceId, { type: 'MarkSuspended' });
    const body = await until(app, `/api/v1/alerts?subject_id=${instanceId}`, (page) => page.data[0]?.status === 'resolved');
    t.match(body.data[0], { id: alert.id, status: 'resolved', resolved_by: { type: 'system', id: 'alert-rules' }, resolution_reason: 'the condition cleared' });
  });

  t.test('operators acknowledge, then resolve; what the state does not allow answers 409 naming it', async (t) => {
    const { alert } = await silentInstance('sick-3');
    const denied = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, { key: viewer, body: {} });
    t.equal(denied.status, 403, 'viewers do not');

    const acknowledged = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`);
    t.equal(acknowledged.status, 200);
    t.match(acknowledged.body, { id: alert.id, status: 'acknowledged', acknowledged_by: { type: 'api_key' }, revision: 1 });
    const again = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, { body: {} });
    t.equal(again.status, 409);
    t.match(again.body.error, { type: 'conflict_error', code: 'illegal_transition', message: 'cannot acknowledge an alert that is acknowledged' });

    const resolved = await app.call('POST', `/api/v1/alerts/${alert.id}/resolve`, { body: { reason: 'replaced the disk' } });
    t.equal(resolved.status, 200);
    t.match(resolved.body, { status: 'resolved', resolution_reason: 'replaced the disk', resolved_by: { type: 'api_key' } });
    const read = await app.call('GET', `/api/v1/alerts/${alert.id}`, { headers: { 'x-min-position': String(resolved.body.position) } });
    t.equal(read.body.status, 'resolved', 'reads after the write see it');
    const twice = await app.call('POST', `/api/v1/alerts/${alert.id}/resolve`);
    t.equal(twice.status, 409);
    t.match(twice.body.error.message, /that is resolved$/);
  });

  t.test('a keyed acknowledge retried answers the first answer', async (t) => {
    const { alert } = await silentInstance('sick-4');
    const keyed = { body: {}, headers: { 'idempotency-key': `ack-${alert.id}` } };
    const first = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, keyed);
    const retried = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, keyed);
    t.equal(retried.status, 200);
    t.equal(retried.headers.get('idempotency-replayed'), 'true');
    t.same(retried.body, first.body);
  });

  t.test('lists filter by status, rule, rule id and subject, page with a cursor, and refuse an unknown status naming it', async (t) => {
    /** Status and instance name of each alert listed, ignoring sick-3, which an operator resolved while it was still silent and which raises anew. */
    const listed = async (query: string) =>
      (await app.call('GET', `/api/v1/alerts?${query}`)).body.data.map((alert: any) => `${alert.status} ${alert.message.replace(/ \(.*$/, '')}`);
    t.same((await listed('status=acknowledged')).sort(), ['acknowledged instance sick-4']);
    t.same((await listed('status=resolved&rule=no_heartbeat')).sort(), ['resolved instance sick-2', 'resolved instance sick-3']);
    t.ok((await listed(`status=open&rule_id=${rule.id}`)).includes('open instance sick-1'));
    t.same((await app.call('GET', '/api/v1/alerts?rule=task_failure_rate')).body.data, []);

    const all = (await app.call('GET', '/api/v1/alerts?limit=100')).body.data.map((alert: any) => alert.id);
    const firstPage = (await app.call('GET', '/api/v1/alerts?limit=2')).body;
    t.match(firstPage, { has_more: true, next_cursor: String });
    const secondPage = (await app.call('GET', `/api/v1/alerts?limit=2&cursor=${firstPage.next_cursor}`)).body;
    t.same(
      [...firstPage.data, ...secondPage.data].map((alert: any) => alert.id),
      all.slice(0, 4),
      'newest first, no gap, no repeat',
    );

    const refused = await app.call('GET', '/api/v1/alerts?status=on_fire');
    t.equal(refused.status, 400);
    t.match(refused.body.error, { type: 'invalid_request_error', param: 'status' });
  });

  t.test("another team's alert is not found, and cannot be acted on; its rules are its own", async (t) => {
    const { alert } = await silentInstance('sick-5');
    const otherKey = await createOtherTeam(app, 'alerts-other');
    t.equal((await app.call('GET', `/api/v1/alerts/${alert.id}`, { key: otherKey })).status, 404);
    t.same((await app.call('GET', '/api/v1/alerts', { key: otherKey })).body.data, []);
    const acknowledged = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, { key: otherKey });
    t.equal(acknowledged.status, 404);
    t.equal((await app.call('GET', '/api/v1/alerts/no-such-alert')).status, 404);
    const theirs = await noHeartbeatRule(app, otherKey);
    t.not(theirs.id, rule.id, 'the other team got default rules of its own');
    t.match(theirs.condition, { kind: 'no_heartbeat', seconds: 60 }, 'untouched by this team tightening its own');
    t.equal((await app.call('GET', `/api/v1/alert-rules/${rule.id}`, { key: otherKey })).status, 404);
    t.equal((await app.call('PATCH', `/api/v1/alert-rules/${rule.id}`, { key: otherKey, body: { severity: 'low' } })).status, 404);
  });

  t.test('alerts are acknowledged and resolved in bulk, each reported by itself', async (t) => {
    const [{ alert: first }, { alert: second }] = [await silentInstance('bulk-1'), await silentInstance('bulk-2')];
    const otherKey = await createOtherTeam(app, 'bulk-other');
    t.equal((await app.call('POST', '/api/v1/alerts/acknowledge', { key: viewer, body: { ids: [first.id] } })).status, 403, 'viewers do not');
    t.equal((await app.call('POST', '/api/v1/alerts/acknowledge', { key: otherKey, body: { ids: [first.id] } })).body.results[0].status, 404);

    const keyed = { body: { ids: [first.id, 'no-such-alert', second.id] }, headers: { 'idempotency-key': 'bulk-ack' } };
    const acknowledged = await app.call('POST', '/api/v1/alerts/acknowledge', keyed);
    t.equal(acknowledged.status, 200);
    t.match(acknowledged.body, {
      object: 'bulk_result',
      results: [
        { id: first.id, status: 200, alert: { status: 'acknowledged', acknowledged_by: { type: 'api_key' } } },
        { id: 'no-such-alert', status: 404, error: { type: 'not_found_error' } },
        { id: second.id, status: 200, alert: { status: 'acknowledged' } },
      ],
    });
    const retried = await app.call('POST', '/api/v1/alerts/acknowledge', keyed);
    t.equal(retried.headers.get('idempotency-replayed'), 'true');
    t.same(retried.body, acknowledged.body, 'a keyed retry answers the first answer');

    const again = await app.call('POST', '/api/v1/alerts/acknowledge', { body: { ids: [first.id] } });
    t.match(again.body.results, [
      { id: first.id, status: 409, error: { code: 'illegal_transition', message: 'cannot acknowledge an alert that is acknowledged' } },
    ]);

    const resolved = await app.call('POST', '/api/v1/alerts/resolve', { body: { ids: [first.id, second.id], reason: 'maintenance window' } });
    t.match(resolved.body.results, [
      { id: first.id, status: 200, alert: { status: 'resolved', resolution_reason: 'maintenance window' } },
      { id: second.id, status: 200, alert: { status: 'resolved', resolution_reason: 'maintenance window' } },
    ]);
    const raisedAnew = await until(app, `/api/v1/alerts?subject_id=${first.subject.id}`, (page) => page.data.length === 2);
    t.match(
      raisedAnew.data,
      [{ status: 'open' }, { id: first.id, status: 'resolved' }],
      'resolved while still silent: the rule raises a new alert, the resolved one stays resolved',
    );
    await until(app, `/api/v1/alerts?subject_id=${second.subject.id}`, (page) => page.data.length === 2);
    const refused = await app.call('POST', '/api/v1/alerts/resolve', { body: { ids: [] } });
    t.match(refused, { status: 400, body: { error: { param: 'ids' } } });
  });

  t.test('the summary counts the team alerts by severity and status, and only its own', async (t) => {
    const summary = await app.call('GET', '/api/v1/alerts/summary', { key: viewer });
    t.equal(summary.status, 200);
    const all = (await app.call('GET', '/api/v1/alerts?limit=100')).body.data;
    const count = (severity: string, status: string) => all.filter((alert: any) => alert.severity === severity && alert.status === status).length;
    t.match(summary.body, {
      object: 'alert_summary',
      by_severity: {
        high: { open: count('high', 'open'), acknowledged: count('high', 'acknowledged'), resolved: count('high', 'resolved') },
        low: { open: 0 },
      },
    });
    t.ok(summary.body.by_severity.high.resolved >= 4, 'sick-2, sick-3 and the two resolved in bulk');
    t.equal(summary.body.by_status.open + summary.body.by_status.acknowledged + summary.body.by_status.resolved, all.length, 'every alert counted once');
    const otherKey = await createOtherTeam(app, 'summary-other');
    t.same((await app.call('GET', '/api/v1/alerts/summary', { key: otherKey })).body.by_status, { open: 0, acknowledged: 0, resolved: 0 });
  });

  t.test('the OpenAPI document describes the alert routes', async (t) => {
    const { paths } = (await app.call('GET', '/api/v1/openapi.json', { key: null })).body;
    for (const path of [
      '/alerts',
      '/alerts/{id}',
      '/alerts/{id}/acknowledge',
      '/alerts/{id}/resolve',
      '/alerts/acknowledge',
      '/alerts/resolve',
      '/alerts/summary',
    ]) {
      t.ok(paths[path], path);
    }
  });
});
