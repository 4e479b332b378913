import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { createOtherTeam, startTestBosun, type TestBosun } from './harness.js';
import { instanceDriver } from './instance-driver.js';

/** Polls the alerts of `instanceId` until `done` holds for them. */
const alertsOf = async (app: TestBosun, instanceId: string, done: (alerts: any[]) => boolean): Promise<any[]> => {
  for (let waited = 0; ; waited += 20) {
    const { body } = await app.call('GET', `/api/v1/alerts?subject_id=${instanceId}`);
    if (done(body.data)) return body.data;
    if (waited > 5000) throw new Error(`alerts of ${instanceId} never got there: ${JSON.stringify(body)}`);
    await sleep(20);
  }
};

t.test('alerts raised by the rules, as operators see and handle them', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const driver = instanceDriver(app);
  const unhealthyInstance = async (name: string) => {
    const deployed = await app.call('POST', '/api/v1/instances', { body: { name, provider: 'local', spec: {} } });
    await driver.provision(deployed.body.id);
    await driver.execute(deployed.body.id, { type: 'ChangeHealth', health: 'unhealthy', reason: 'no heartbeat for 15 s' });
    const [alert] = await alertsOf(app, deployed.body.id, (alerts) => alerts.length === 1);
    return { instanceId: deployed.body.id as string, alert };
  };
  const viewer = (await app.call('POST', '/api/v1/api-keys', { body: { name: 'watcher', role: 'viewer' } })).body.key as string;

  t.test('an instance turning unhealthy raises an open alert about it', async (t) => {
    const { instanceId, alert } = await unhealthyInstance('sick-1');
    t.match(alert, {
      object: 'alert',
      rule: 'instance_unhealthy',
      severity: 'high',
      status: 'open',
      subject: { type: 'instance', id: instanceId },
      message: `instance sick-1 (${instanceId}) is unhealthy: no heartbeat for 15 s`,
      acknowledged_at: null,
      resolved_at: null,
      revision: 0,
    });
    t.notOk('tenant' in alert || 'seq' in alert || 'subject_id' in alert, 'storage fields stay inside');
    const read = await app.call('GET', `/api/v1/alerts/${alert.id}`, { key: viewer });
    t.equal(read.status, 200, 'viewers read alerts');
    t.same(read.body, alert);
  });

  t.test('once the instance is healthy again, its rule resolves the alert', async (t) => {
    const { instanceId, alert } = await unhealthyInstance('sick-2');
    await driver.execute(instanceId, { type: 'ChangeHealth', health: 'healthy', reason: 'heartbeats arrive' });
    const [resolved] = await alertsOf(app, instanceId, (alerts) => alerts[0]?.status === 'resolved');
    t.match(resolved, {
      id: alert.id,
      status: 'resolved',
      resolved_by: { type: 'system', id: 'alert-rules' },
      resolution_reason: 'the instance is healthy again: heartbeats arrive',
    });
  });

  t.test('operators acknowledge, then resolve; what the state does not allow answers 409 naming it', async (t) => {
    const { alert } = await unhealthyInstance('sick-3');
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
    const { alert } = await unhealthyInstance('sick-4');
    const keyed = { body: {}, headers: { 'idempotency-key': `ack-${alert.id}` } };
    const first = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, keyed);
    const retried = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, keyed);
    t.equal(retried.status, 200);
    t.equal(retried.headers.get('idempotency-replayed'), 'true');
    t.same(retried.body, first.body);
  });

  t.test('lists filter by status, rule and subject, page with a cursor, and refuse an unknown status naming it', async (t) => {
    /** Status and instance name of each alert listed. */
    const listed = async (query: string) =>
      (await app.call('GET', `/api/v1/alerts?${query}`)).body.data.map((alert: any) => `${alert.status} ${alert.message.replace(/ \(.*$/, '')}`);
    t.same(await listed('status=open&rule=instance_unhealthy'), ['open instance sick-1']);
    t.same(await listed('status=acknowledged'), ['acknowledged instance sick-4']);
    t.same(await listed('status=resolved'), ['resolved instance sick-3', 'resolved instance sick-2']);
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

  t.test("another team's alert is not found, and cannot be acted on", async (t) => {
    const { alert } = await unhealthyInstance('sick-5');
    const otherKey = await createOtherTeam(app, 'alerts-other');
    t.equal((await app.call('GET', `/api/v1/alerts/${alert.id}`, { key: otherKey })).status, 404);
    t.same((await app.call('GET', '/api/v1/alerts', { key: otherKey })).body.data, []);
    const acknowledged = await app.call('POST', `/api/v1/alerts/${alert.id}/acknowledge`, { key: otherKey });
    t.equal(acknowledged.status, 404);
    t.equal((await app.call('GET', '/api/v1/alerts/no-such-alert')).status, 404);
  });

  t.test('the OpenAPI document describes the alert routes', async (t) => {
    const { paths } = (await app.call('GET', '/api/v1/openapi.json', { key: null })).body;
    for (const path of ['/alerts', '/alerts/{id}', '/alerts/{id}/acknowledge', '/alerts/{id}/resolve']) t.ok(paths[path], path);
  });
});
