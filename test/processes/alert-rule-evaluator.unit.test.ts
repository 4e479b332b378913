import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { createAlertRule, defaultAlertRuleId, executeAlertRuleCommand } from '../../commands/alert-rules.js';
import { executeAlertCommand } from '../../commands/alerts.js';
import { internalContext } from '../../commands/command-context.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { alertIdFor, AlertRuleEvaluator } from '../../processes/alert-rules/evaluator.js';
import type { FleetReadings } from '../../processes/alert-rules/fleet-readings.js';
import { alertRuleProjector } from '../../projections/alert-rules/alert-rule-projector.js';
import { alertCollection, alertProjector } from '../../projections/alerts/alert-projector.js';
import { testKeys } from '../commands/test-keys.js';

const now = Date.parse('2026-01-01T01:00:00.000Z');
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

/** An evaluator over a fake fleet whose silent instances per team the test sets. */
const evaluatorOn = async (t: Test) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-alert-rules-'));
  const store = openEmbeddedEventStore({ directory });
  const readStore = openEmbeddedReadStore({ file: ':memory:' });
  await readStore.prepare([...alertProjector.collections, ...alertRuleProjector.collections]);
  t.teardown(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  let id = 0;
  const commands = { store, schemas: loadEventSchemas(), env: { now: () => new Date(now), newId: () => `id-${++id}` }, ...testKeys() };
  /** Seconds since each instance of each team last beat. */
  const silence = new Map<string, Record<string, number>>();
  const readings: FleetReadings = {
    lastHeartbeats: async (tenant) =>
      Object.entries(silence.get(tenant) ?? {}).map(([id, seconds]) => ({ instance: { id, name: `box-${id}` }, at: ago(seconds) })),
    taskOutcomes: async () => [],
    openDrift: async () => [],
    metricSeries: async () => [],
  };
  const evaluator = new AlertRuleEvaluator({
    commands,
    readStore,
    readings,
    teams: async () => ['team-a', 'team-b'],
    logger: pino({ enabled: false }),
    now: () => now,
  });
  let projected = 0;
  /** The read models catch up with the log. */
  const project = async () => {
    for (const event of await store.readAll({ after: projected, maxCount: 100_000 })) {
      await alertProjector.apply(event, readStore);
      await alertRuleProjector.apply(event, readStore);
      projected = event.position;
    }
  };
  /** One evaluation, then the read models catch up. */
  const pass = async () => {
    await evaluator.evaluate();
    await project();
  };
  const alertsOf = (tenant: string) => alertCollection(readStore).list({ tenant }, { limit: 100 });
  const ctx = (tenant: string) => internalContext({ tenant, actor: { type: 'api_key', id: 'k-1' }, correlationId: 'test' });
  return { commands, store, evaluate: () => evaluator.evaluate(), pass, project, silence, alertsOf, ctx };
};

t.test('every team gets the default rules once, as rules of its own', async (t) => {
  const { store, pass } = await evaluatorOn(t);
  await pass();
  await pass();
  const created = (await store.readAll({ maxCount: 1000 })).filter((event) => event.type === 'alert_rule.created');
  t.strictSame(
    created.map((event) => [event.tenant, event.stream, (event.data as { built_in: string }).built_in]),
    [
      ['team-a', `alert_rule-${defaultAlertRuleId('team-a', 'no_heartbeat')}`, 'no_heartbeat'],
      ['team-a', `alert_rule-${defaultAlertRuleId('team-a', 'task_failure_rate')}`, 'task_failure_rate'],
      ['team-b', `alert_rule-${defaultAlertRuleId('team-b', 'no_heartbeat')}`, 'no_heartbeat'],
      ['team-b', `alert_rule-${defaultAlertRuleId('team-b', 'task_failure_rate')}`, 'task_failure_rate'],
    ],
  );
});

t.test('a silent instance raises one alert with the rule id, kept while it fires, resolved once it clears, raised anew after', async (t) => {
  const { pass, silence, alertsOf } = await evaluatorOn(t);
  const ruleId = defaultAlertRuleId('team-a', 'no_heartbeat');
  await pass();
  silence.set('team-a', { 'i-1': 120, 'i-2': 5 });
  await pass();
  await pass();
  const subject = { type: 'instance', id: 'i-1' };
  t.match(await alertsOf('team-a'), [
    {
      id: alertIdFor(ruleId, subject, 0),
      rule: 'no_heartbeat',
      rule_id: ruleId,
      severity: 'high',
      status: 'open',
      subject_id: 'i-1',
      message: /no heartbeat for 120 s/,
    },
  ]);
  t.equal((await alertsOf('team-a')).length, 1, 'evaluated again, not duplicated');
  t.strictSame(await alertsOf('team-b'), [], "another team's fleet is its own");

  silence.set('team-a', { 'i-1': 1 });
  await pass();
  t.match(await alertsOf('team-a'), [{ status: 'resolved', resolution_reason: 'the condition cleared', resolved_by: { type: 'system', id: 'alert-rules' } }]);

  silence.set('team-a', { 'i-1': 300 });
  await pass();
  const alerts = await alertsOf('team-a');
  t.strictSame(
    alerts.map((alert) => [alert.id, alert.status]),
    [
      [alertIdFor(ruleId, subject, 1), 'open'],
      [alertIdFor(ruleId, subject, 0), 'resolved'],
    ],
  );
});

t.test('passes the read model has not caught up with raise the alert once', async (t) => {
  const { evaluate, pass, silence, alertsOf, store, project } = await evaluatorOn(t);
  await pass();
  silence.set('team-a', { 'i-1': 120 });
  await evaluate();
  await evaluate();
  await project();
  const raised = (await store.readAll({ maxCount: 1000 })).filter((event) => event.type === 'alert.raised');
  t.equal(raised.length, 1, 'the second pass derived the same alert id: nothing recorded');
  t.equal((await alertsOf('team-a')).length, 1);
});

t.test('a disabled rule resolves its alerts and raises no more; an acknowledged alert stays one alert', async (t) => {
  const { commands, pass, silence, alertsOf, ctx } = await evaluatorOn(t);
  await pass();
  silence.set('team-a', { 'i-1': 120 });
  await pass();
  const [alert] = await alertsOf('team-a');
  await executeAlertCommand(commands, ctx('team-a'), alert!.id, { type: 'AcknowledgeAlert' });
  await pass();
  t.strictSame(
    (await alertsOf('team-a')).map((a) => a.status),
    ['acknowledged'],
  );
  await executeAlertRuleCommand(commands, ctx('team-a'), defaultAlertRuleId('team-a', 'no_heartbeat'), { type: 'DisableAlertRule' });
  await pass();
  await pass();
  t.match(await alertsOf('team-a'), [{ status: 'resolved', resolution_reason: 'the rule was disabled' }]);
});

t.test("a team's own rule fires with its own severity and threshold", async (t) => {
  const { commands, pass, silence, alertsOf, ctx } = await evaluatorOn(t);
  await createAlertRule(commands, ctx('team-b'), {
    name: 'strict',
    condition: { kind: 'no_heartbeat', seconds: 10 },
    severity: 'critical',
    channels: [],
  });
  await pass();
  silence.set('team-b', { 'i-9': 30 });
  await pass();
  t.match(
    await alertsOf('team-b'),
    [{ rule_id: 'id-1', rule: 'no_heartbeat', severity: 'critical', subject_id: 'i-9' }],
    'the default rule allows 60 s: only the team rule fired',
  );
});
