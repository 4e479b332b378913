import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { driftDriver, matchingConfiguration } from './drift-driver.js';
import { createOtherTeam, startTestBosun, type TestBosun } from './harness.js';

const defaultsOf = async (app: TestBosun, key?: string): Promise<any[]> => {
  for (let waited = 0; waited < 8000; waited += 20) {
    const { body } = await app.call('GET', '/api/v1/alert-rules', key === undefined ? {} : { key });
    if (body.data?.length >= 2) return body.data;
    await sleep(20);
  }
  throw new Error('the default rules never appeared');
};

t.test('alert rules are the team resources, created, changed, enabled, disabled and deleted', async (t) => {
  const app = await startTestBosun({ alertEvaluationMs: 50 });
  t.teardown(app.stop);
  const viewer = (await app.call('POST', '/api/v1/api-keys', { body: { name: 'watcher', role: 'viewer' } })).body.key as string;
  const operator = (await app.call('POST', '/api/v1/api-keys', { body: { name: 'on-call', role: 'operator' } })).body.key as string;

  t.test('every team starts with the two default rules, enabled', async (t) => {
    const rules = await defaultsOf(app);
    t.match(
      rules.sort((a, b) => a.kind.localeCompare(b.kind)),
      [
        { object: 'alert_rule', kind: 'no_heartbeat', built_in: 'no_heartbeat', status: 'enabled', severity: 'high', condition: { seconds: 60 }, channels: [] },
        {
          object: 'alert_rule',
          kind: 'task_failure_rate',
          built_in: 'task_failure_rate',
          status: 'enabled',
          severity: 'medium',
          condition: { window_seconds: 600, min_count: 3, rate: 0.5 },
        },
      ],
    );
    const otherKey = await createOtherTeam(app, 'rules-other');
    const theirs = await defaultsOf(app, otherKey);
    t.equal(theirs.length, 2, 'a team created later gets them too');
    t.notOk(
      theirs.some((rule) => rules.some((ours) => ours.id === rule.id)),
      'its own, not ours',
    );
  });

  const webhook = (await app.call('POST', '/api/v1/webhooks', { body: { url: 'https://93.184.215.14/alerts', event_types: ['task.completed'] } })).body;

  t.test('an operator creates a rule of each kind; what is wrong is named', async (t) => {
    const conditions = [
      { kind: 'open_drift', severity: 'high' },
      { kind: 'metric_threshold', metric: 'cpu_percent', operator: 'above', threshold: 90, duration_seconds: 300 },
      { kind: 'no_heartbeat', seconds: 30 },
      { kind: 'task_failure_rate', window_seconds: 60, min_count: 5, rate: 0.2 },
    ];
    for (const condition of conditions) {
      const created = await app.call('POST', '/api/v1/alert-rules', {
        key: operator,
        body: { name: `watch ${condition.kind}`, condition, severity: 'critical', channels: [{ type: 'webhook', webhook_id: webhook.id }] },
      });
      t.equal(created.status, 201, condition.kind);
      t.match(created.body, { object: 'alert_rule', kind: condition.kind, condition, status: 'enabled', built_in: null, revision: 0 });
      t.equal(created.headers.get('location'), `/api/v1/alert-rules/${created.body.id}`);
    }
    const denied = await app.call('POST', '/api/v1/alert-rules', { key: viewer, body: { name: 'x', condition: conditions[0], severity: 'low' } });
    t.equal(denied.status, 403, 'viewers read rules, do not write them');
    const badCondition = await app.call('POST', '/api/v1/alert-rules', {
      body: { name: 'x', condition: { kind: 'no_heartbeat', seconds: 0 }, severity: 'low' },
    });
    t.match(badCondition, { status: 400, body: { error: { type: 'invalid_request_error', param: 'condition' } } });
    const badChannel = await app.call('POST', '/api/v1/alert-rules', {
      body: { name: 'x', condition: conditions[0], severity: 'low', channels: [{ type: 'pager', number: '1' }] },
    });
    t.match(badChannel, { status: 400, body: { error: { param: /^channels/ } } });
    const other = await createOtherTeam(app, 'webhook-owner');
    const othersWebhook = (
      await app.call('POST', '/api/v1/webhooks', { key: other, body: { url: 'https://93.184.215.14/theirs', event_types: ['task.completed'] } })
    ).body;
    for (const webhookId of ['no-such-webhook', othersWebhook.id]) {
      const unknownWebhook = await app.call('POST', '/api/v1/alert-rules', {
        body: { name: 'x', condition: conditions[0], severity: 'low', channels: [{ type: 'webhook', webhook_id: webhookId }] },
      });
      t.match(
        unknownWebhook,
        { status: 400, body: { error: { param: 'channels[0].webhook_id', message: /no webhook/ } } },
        'a webhook of no team, or of another team',
      );
    }
    const listed = await app.call('GET', '/api/v1/alert-rules?kind=metric_threshold', { key: viewer });
    t.same(
      listed.body.data.map((rule: any) => rule.name),
      ['watch metric_threshold'],
    );
  });

  t.test('a rule is changed with If-Match, disabled, enabled and deleted; each answers the rule as it now is', async (t) => {
    const created = (
      await app.call('POST', '/api/v1/alert-rules', { body: { name: 'drift', condition: { kind: 'open_drift', severity: 'medium' }, severity: 'low' } })
    ).body;
    const path = `/api/v1/alert-rules/${created.id}`;
    const stale = await app.call('PATCH', path, { body: { severity: 'high' }, headers: { 'if-match': '"7"' } });
    t.equal(stale.status, 412);
    const changed = await app.call('PATCH', path, { body: { severity: 'high', name: 'serious drift' }, headers: { 'if-match': '"0"' } });
    t.match(changed, { status: 200, body: { severity: 'high', name: 'serious drift', condition: { kind: 'open_drift', severity: 'medium' }, revision: 1 } });
    t.match(await app.call('PATCH', path, { body: {} }), { status: 400 }, 'an empty change is refused');

    const disabled = await app.call('POST', `${path}/disable`, { body: {} });
    t.match(disabled, { status: 200, body: { status: 'disabled', revision: 2 } });
    t.same(
      (await app.call('GET', `/api/v1/alert-rules?status=disabled`, { headers: { 'x-min-position': String(disabled.body.position) } })).body.data.map(
        (r: any) => r.id,
      ),
      [created.id],
    );
    t.match(await app.call('POST', `${path}/disable`), { status: 200, body: { status: 'disabled', revision: 2 } }, 'disabling a disabled rule changes nothing');
    t.match(await app.call('POST', `${path}/enable`), { status: 200, body: { status: 'enabled', revision: 3 } });

    const deleted = await app.call('DELETE', path);
    t.match(deleted, { status: 200, body: { status: 'deleted' } });
    t.equal((await app.call('GET', path, { headers: { 'x-min-position': String(deleted.body.position) } })).status, 404);
    t.match(await app.call('DELETE', path), { status: 404, body: { error: { type: 'not_found_error' } } });
    t.notOk(
      (await app.call('GET', '/api/v1/alert-rules?limit=100')).body.data.some((rule: any) => rule.id === created.id),
      'no longer listed',
    );
    const history = await app.call('GET', `${path}/history`);
    t.same(
      history.body.data.map((event: any) => event.type),
      ['alert_rule.created', 'alert_rule.updated', 'alert_rule.disabled', 'alert_rule.enabled', 'alert_rule.deleted'],
    );
  });

  t.test('what the rules do is in the audit log under their own actions', async (t) => {
    const audit = await app.call('GET', '/api/v1/audit-logs?action=alert_rule.create&limit=100');
    t.ok(audit.body.data.length >= 5, 'each create, by operators and by the rules process');
    t.ok((await app.call('GET', '/api/v1/audit-logs?action=alert_rule.disable')).body.data.length >= 1);
  });

  t.test('an open_drift rule raises an alert for an instance whose drift is open at or above its severity, read from the drift read model', async (t) => {
    const rule = (
      await app.call('POST', '/api/v1/alert-rules', {
        body: {
          name: 'any drift',
          condition: { kind: 'open_drift', severity: 'low' },
          severity: 'medium',
          channels: [{ type: 'webhook', webhook_id: webhook.id }],
        },
      })
    ).body;
    const drift = driftDriver(app);
    const agent = await drift.enrol(undefined, 'drifting-box');
    await agent.heartbeat({ ...matchingConfiguration, runtime_version: '0.9.0' });
    let alerts: any[] = [];
    for (let waited = 0; alerts.length === 0 && waited < 8000; waited += 50) {
      alerts = (await app.call('GET', `/api/v1/alerts?rule_id=${rule.id}`)).body.data;
      await sleep(50);
    }
    t.match(alerts, [
      {
        rule: 'open_drift',
        rule_id: rule.id,
        severity: 'medium',
        status: 'open',
        subject: { type: 'instance', id: agent.instanceId },
        message: /^instance drifting-box \(.+\) has 1 open drift event\(s\) at or above low \(worst: \w+\)$/,
      },
    ]);
    // ...and the rule's webhook channel is asked to deliver it, as a delivery of the alert's event.
    let deliveries: any[] = [];
    for (let waited = 0; deliveries.length === 0 && waited < 8000; waited += 50) {
      deliveries = (await app.call('GET', `/api/v1/webhooks/${webhook.id}/deliveries`)).body.data.filter((d: any) => d.event_type === 'alert.raised');
      await sleep(50);
    }
    t.match(deliveries, [{ event_type: 'alert.raised' }], 'one delivery of alert.raised to the rule channel');
  });

  t.test('a default rule the team disabled stays as it is across a restart, and is not created again', async (t) => {
    const rule = (await defaultsOf(app)).find((r) => r.kind === 'no_heartbeat');
    const disabled = await app.call('POST', `/api/v1/alert-rules/${rule.id}/disable`);
    t.match(disabled, { status: 200, body: { status: 'disabled' } });
    await app.bosun.close();
    const again = await startTestBosun({ alertEvaluationMs: 50 }, app.dataDir);
    t.teardown(again.stop);
    await sleep(300);
    const rules = (await again.call('GET', '/api/v1/alert-rules?kind=no_heartbeat&limit=100')).body.data;
    t.match(rules, [{ id: rule.id, status: 'disabled' }], 'one no_heartbeat default, still disabled');
  });
});
