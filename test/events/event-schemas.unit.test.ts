import t from 'tap';
import { alertRuleDecider, alertRuleEventTypes, type AlertRuleCommand } from '../../domain/alert-rule/index.js';
import { alertDecider, alertEventTypes, type AlertCommand } from '../../domain/alert/index.js';
import { auditEventTypes } from '../../domain/audit/index.js';
import { driftEventTypes } from '../../domain/drift/index.js';
import { instanceDecider, instanceEventTypes, type InstanceCommand } from '../../domain/instance/index.js';
import { privacyEventTypes } from '../../domain/privacy/index.js';
import { skillEventTypes } from '../../domain/skill/index.js';
import { taskEventTypes } from '../../domain/task/index.js';
import { teamEventTypes } from '../../domain/team/index.js';
import { deliveryEventTypes, webhookEventTypes } from '../../domain/webhook/index.js';
import { sealEventType } from '../../events/audit-seal.js';
import { loadEventSchemas } from '../../events/event-schemas.js';

// The schema files themselves are specified in test/domain/task/task-event-schemas.unit.test.ts;
// this is the registry that guards every append.
const schemas = loadEventSchemas();

/** Types with more than one published version; every other type is at version 1. */
const laterVersions: Record<string, number> = { 'task.submitted': 3, 'team.api_key_issued': 2, 'instance.deploy_requested': 2, 'instance.spec_changed': 2 };

t.test('the registry publishes every version of every event type of every aggregate, and knows the current one', async (t) => {
  const types = [
    ...taskEventTypes,
    ...teamEventTypes,
    ...instanceEventTypes,
    ...driftEventTypes,
    ...alertEventTypes,
    ...alertRuleEventTypes,
    ...privacyEventTypes,
    sealEventType,
    ...auditEventTypes,
    ...webhookEventTypes,
    ...deliveryEventTypes,
    ...skillEventTypes,
  ];
  const published = types.flatMap((type) => Array.from({ length: laterVersions[type] ?? 1 }, (_, index) => `${type}.v${index + 1}`));
  t.same(
    schemas
      .schemas()
      .map((s) => `${s.type}.v${s.version}`)
      .sort(),
    published.sort(),
  );
  for (const type of types) t.equal(schemas.currentVersion(type), laterVersions[type] ?? 1, type);
});

t.test('an event that does not match its schema is refused, naming the field', async (t) => {
  t.doesNotThrow(() => schemas.validate('team.api_key_revoked', { key_id: 'k-1' }));
  t.throws(() => schemas.validate('team.api_key_revoked', {}), { code: 'invalid_event', message: /key_id/ });
  t.throws(() => schemas.validate('team.api_key_issued', { key_id: 'k', name: 'n', role: 'root', key_hash: 'x', key_prefix: 'p', expires_at: null }), {
    code: 'invalid_event',
    message: /role/,
  });
  t.throws(() => schemas.validate('task.queued', { instance_id: 'i', ack_deadline: 'tomorrow' }), { code: 'invalid_event', message: /ack_deadline/ });
});

t.test('an event type without a published schema cannot be appended', async (t) => {
  t.throws(() => schemas.validate('task.teleported', {}), { code: 'invalid_event', message: /no schema/ });
  t.throws(() => schemas.currentVersion('task.teleported'), { code: 'invalid_event' });
});

t.test('every event the alert decider produces along its lifecycle matches its schema', async (t) => {
  const lifecycle: AlertCommand[] = [
    {
      type: 'RaiseAlert',
      alertId: 'a-1',
      rule: 'task_failure_rate',
      ruleId: 'r-1',
      severity: 'medium',
      subject: { type: 'instance', id: 'i-1' },
      message: '3 task runs failed',
    },
    { type: 'AcknowledgeAlert' },
    { type: 'ResolveAlert', reason: 'a task completed on it' },
  ];
  let state = alertDecider.initialState();
  const seen: string[] = [];
  for (const command of lifecycle) {
    for (const event of alertDecider.decide(command, state)) {
      t.doesNotThrow(() => schemas.validate(event.type, event.data), event.type);
      seen.push(event.type);
      state = alertDecider.evolve(state, event);
    }
  }
  t.same(seen, alertEventTypes, 'the lifecycle covers every alert event type');
  t.throws(() => schemas.validate('alert.raised', { alert_id: 'a', rule: 'r', severity: 'dire', subject: { type: 'instance', id: 'i' }, message: 'm' }), {
    message: /severity/,
  });
  t.throws(() => schemas.validate('alert.raised', { alert_id: 'a', rule: 'r', severity: 'low', subject: { id: 'i' }, message: 'm' }), { message: /subject/ });
});

t.test('every event the alert rule decider produces along its lifecycle matches its schema, for every kind of condition', async (t) => {
  const definition = {
    name: 'cpu',
    condition: { kind: 'metric_threshold', metric: 'cpu_percent', operator: 'above', threshold: 90, duration_seconds: 300 },
    severity: 'high',
    channels: [{ type: 'webhook', webhook_id: 'wh-1' }],
  } as const;
  const lifecycle: AlertRuleCommand[] = [
    { type: 'CreateAlertRule', ruleId: 'r-1', definition, builtIn: null },
    { type: 'UpdateAlertRule', changes: { condition: { kind: 'no_heartbeat', seconds: 30 } } },
    { type: 'UpdateAlertRule', changes: { condition: { kind: 'task_failure_rate', window_seconds: 600, min_count: 3, rate: 0.5 } } },
    { type: 'UpdateAlertRule', changes: { condition: { kind: 'open_drift', severity: 'high' }, channels: [] } },
    { type: 'DisableAlertRule' },
    { type: 'EnableAlertRule' },
    { type: 'DeleteAlertRule' },
  ];
  let state = alertRuleDecider.initialState();
  const seen = new Set<string>();
  for (const command of lifecycle) {
    for (const event of alertRuleDecider.decide(command, state)) {
      t.doesNotThrow(() => schemas.validate(event.type, event.data), event.type);
      seen.add(event.type);
      state = alertRuleDecider.evolve(state, event);
    }
  }
  t.same([...seen].sort(), [...alertRuleEventTypes].sort(), 'the lifecycle covers every alert rule event type');
  t.throws(() => schemas.validate('alert_rule.updated', { ...definition, condition: { kind: 'no_heartbeat', seconds: 0 } }), { message: /condition/ });
  t.throws(() => schemas.validate('alert_rule.updated', { ...definition, channels: [{ type: 'pager' }] }), { message: /channels/ });
});

t.test('every event the instance decider produces along its lifecycle matches its schema', async (t) => {
  const spec = {
    skills: [{ name: 'git', version: '2' }],
    runtime_version: null,
    settings: { token: 'x' },
    resources: { cpus: null, memory_mb: null, ports: [], region: null },
    max_concurrent_tasks: 1,
  };
  const lifecycle: InstanceCommand[] = [
    { type: 'DeployInstance', instanceId: 'i-1', name: 'w', provider: 'local', spec },
    { type: 'ChangeSpec', spec: { ...spec, runtime_version: '1.2.3' } },
    { type: 'OpenRegistration', tokenHash: 'a'.repeat(64) },
    { type: 'RegisterAgent', tokenHash: 'a'.repeat(64), credentialHash: 'c'.repeat(64), agentVersion: '0.1.0', hostname: null },
    { type: 'ChangeHealth', health: 'healthy', reason: 'heartbeat' },
    { type: 'BackUpInstance', backupId: 'b-1' },
    { type: 'CompleteBackup', backupId: 'b-1', location: 'file:///b-1', sizeBytes: 10 },
    { type: 'BackUpInstance', backupId: 'b-2' },
    { type: 'FailBackup', backupId: 'b-2', error: { code: 'io', message: 'disk full' } },
    { type: 'SuspendInstance' },
    { type: 'MarkSuspended' },
    { type: 'ResumeInstance' },
    { type: 'MarkResumed' },
    { type: 'DestroyInstance', backupFirst: true },
    { type: 'MarkDestroyed' },
  ];
  const seen = new Set<string>();
  let state = instanceDecider.initialState();
  for (const command of lifecycle) {
    for (const event of instanceDecider.decide(command, state)) {
      t.doesNotThrow(() => schemas.validate(event.type, event.data), event.type);
      seen.add(event.type);
      state = instanceDecider.evolve(state, event);
    }
  }
  const provisioned = instanceDecider.decide(
    { type: 'MarkProvisioned', endpoint: 'http://127.0.0.1:9000' },
    instanceDecider.evolve(instanceDecider.initialState(), {
      type: 'instance.deploy_requested',
      data: { instance_id: 'i', name: 'w', provider: 'local', spec },
    }),
  );
  for (const event of provisioned) t.doesNotThrow(() => schemas.validate(event.type, event.data), event.type);
  const failed = instanceDecider.decide(
    { type: 'FailProvisioning', error: { code: 'quota', message: 'none left' } },
    instanceDecider.evolve(instanceDecider.initialState(), {
      type: 'instance.deploy_requested',
      data: { instance_id: 'i', name: 'w', provider: 'local', spec },
    }),
  );
  for (const event of failed) {
    t.doesNotThrow(() => schemas.validate(event.type, event.data), event.type);
    seen.add(event.type);
  }
  t.same([...seen].sort(), [...instanceEventTypes].sort(), 'the lifecycle covers every instance event type');
});

t.test('every drift event matches its schema', async (t) => {
  const item = { kind: 'setting_mismatch', path: 'settings.api_token', severity: 'medium', expected: null, actual: null };
  const examples: Record<(typeof driftEventTypes)[number], unknown> = {
    'drift.snapshot_recorded': {
      snapshot: {
        provider: 'local',
        runtime_version: null,
        skills: [{ name: 'git', version: '2', enabled: true }],
        settings: { api_token: '[redacted]' },
        resources: { cpus: 2, memory_mb: 1024, open_ports: [], region: null },
      },
      drift_id: null,
    },
    'drift.detected': { drift_id: 'd', items: [item], severity: 'medium', fingerprint: 'f' },
    'drift.changed': { drift_id: 'd', items: [item], severity: 'medium', fingerprint: 'g' },
    'drift.remediation_proposed': {
      drift_id: 'd',
      plan: [
        { action: 'set_setting', name: 'api_token' },
        { action: 'install_skill', name: 'git', version: '2' },
      ],
    },
    'drift.remediation_approved': { drift_id: 'd', automatic: true },
    'drift.remediation_started': { drift_id: 'd', task_id: 't' },
    'drift.remediation_failed': { drift_id: 'd', items: [item], reason: 'the config.apply task failed' },
    'drift.escalated': { drift_id: 'd', reason: 'no action of the agent can fix this drift' },
    'drift.resolved': { drift_id: 'd', verified_by: 'remediation' },
    'drift.dismissed': { drift_id: 'd', reason: 'accepted risk' },
  };
  for (const [type, data] of Object.entries(examples)) t.doesNotThrow(() => schemas.validate(type, data), type);
  t.throws(() => schemas.validate('drift.remediation_proposed', { drift_id: 'd', plan: [{ action: 'rm_rf' }] }), { code: 'invalid_event' });
  t.throws(() => schemas.validate('drift.detected', { drift_id: 'd', items: [], severity: 'low', fingerprint: 'f' }), {
    code: 'invalid_event',
    message: /items/,
  });
});
