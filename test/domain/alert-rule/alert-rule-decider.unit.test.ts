import t from 'tap';
import { alertRuleDecider, defaultAlertRules, type AlertRuleCommand, type AlertRuleEvent } from '../../../domain/alert-rule/index.js';
import { NotFoundError, RuleViolationError } from '../../../domain/shared/errors.js';
import { spec } from '../decider-specification.js';

const rule = spec(alertRuleDecider);

const definition = {
  name: 'Drift on production boxes',
  condition: { kind: 'open_drift', severity: 'high' },
  severity: 'high',
  channels: [{ type: 'webhook', webhook_id: 'wh-1' }],
} as const;
const create: AlertRuleCommand = { type: 'CreateAlertRule', ruleId: 'r-1', definition, builtIn: null };
const created: AlertRuleEvent = { type: 'alert_rule.created', data: { rule_id: 'r-1', ...definition, built_in: null } };
const defaultCreated: AlertRuleEvent = { type: 'alert_rule.created', data: { rule_id: 'r-1', ...defaultAlertRules.no_heartbeat!, built_in: 'no_heartbeat' } };
const ensureDefault: AlertRuleCommand = { type: 'CreateAlertRule', ruleId: 'r-1', definition: defaultAlertRules.no_heartbeat!, builtIn: 'no_heartbeat' };
const disabled: AlertRuleEvent = { type: 'alert_rule.disabled', data: {} };
const deleted: AlertRuleEvent = { type: 'alert_rule.deleted', data: {} };

t.test('given nothing, when a team creates a rule, then it is created (and enabled)', rule.given([]).when(create).then([created]));

t.test(
  'given a rule, when created again under its id, then it is refused',
  rule.given([created]).when(create).thenThrows(RuleViolationError, { code: 'already_exists' }),
);

t.test('a default rule is created once, and ensuring it again leaves what the team made of it', async (t) => {
  await rule.given([]).when(ensureDefault).then([defaultCreated])(t);
  await rule.given([defaultCreated]).when(ensureDefault).then([])(t);
  await rule.given([defaultCreated, disabled]).when(ensureDefault).then([])(t);
  await rule.given([defaultCreated, deleted]).when(ensureDefault).then([])(t);
});

t.test('given a rule, when updated, then the event holds the whole definition as it now is', async (t) => {
  const update: AlertRuleCommand = { type: 'UpdateAlertRule', changes: { severity: 'critical', condition: { kind: 'open_drift', severity: 'critical' } } };
  await rule
    .given([created])
    .when(update)
    .then([{ type: 'alert_rule.updated', data: { ...definition, severity: 'critical', condition: { kind: 'open_drift', severity: 'critical' } } }])(t);
  await rule
    .given([created])
    .when({ type: 'UpdateAlertRule', changes: { name: definition.name } })
    .then([])(t);
});

t.test('enabling and disabling record only a change', async (t) => {
  await rule.given([created]).when({ type: 'DisableAlertRule' }).then([disabled])(t);
  await rule.given([created, disabled]).when({ type: 'DisableAlertRule' }).then([])(t);
  await rule
    .given([created, disabled])
    .when({ type: 'EnableAlertRule' })
    .then([{ type: 'alert_rule.enabled', data: {} }])(t);
  await rule.given([created]).when({ type: 'EnableAlertRule' }).then([])(t);
});

t.test('a deleted or never created rule is not found', async (t) => {
  await rule.given([created]).when({ type: 'DeleteAlertRule' }).then([deleted])(t);
  for (const command of [{ type: 'DeleteAlertRule' }, { type: 'EnableAlertRule' }, { type: 'UpdateAlertRule', changes: { name: 'x' } }] as const) {
    await rule
      .given([created, deleted])
      .when(command)
      .thenThrows(
        NotFoundError,
        /^alert rule does not exist$/,
      )(t);
    await rule.given([]).when(command).thenThrows(NotFoundError)(t);
  }
});
