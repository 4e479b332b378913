import t from 'tap';
import { driftDecider, type ConfigurationSnapshot, type DriftEvent, type DriftItem, type RemediationAction } from '../../../domain/drift/index.js';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../../../domain/shared/errors.js';
import { spec } from '../decider-specification.js';

const drift = spec(driftDecider);

const versionItem: DriftItem = { kind: 'skill_version_mismatch', path: 'skills.git', severity: 'medium', expected: '2.1', actual: '2.0' };
const portItem: DriftItem = { kind: 'port_closed', path: 'resources.ports.8080', severity: 'high', expected: 'open', actual: 'closed' };
const regionItem: DriftItem = { kind: 'region_mismatch', path: 'resources.region', severity: 'high', expected: 'eu-west', actual: null };

const reported: ConfigurationSnapshot = {
  provider: 'local',
  runtime_version: '1.0.0',
  skills: [{ name: 'git', version: '2.0', enabled: true }],
  settings: { log_level: 'info', api_token: 'hunter2' },
  resources: { cpus: 4, memory_mb: 8192, open_ports: [], region: null },
};
const masked: ConfigurationSnapshot = { ...reported, settings: { log_level: 'info', api_token: '[redacted]' } };
/** A snapshot already recorded, so the cases below are about the drift alone. */
const recorded: DriftEvent = { type: 'drift.snapshot_recorded', data: { snapshot: masked, drift_id: null } };

const snapshot = (items: DriftItem[], fingerprint: string, newDriftId = 'd-1', reportedSnapshot = reported) => ({
  type: 'RecordSnapshot' as const,
  newDriftId,
  snapshot: reportedSnapshot,
  items,
  fingerprint,
});
const plan: RemediationAction[] = [{ action: 'install_skill', name: 'git', version: '2.1' }];

const detected: DriftEvent = { type: 'drift.detected', data: { drift_id: 'd-1', items: [versionItem], severity: 'medium', fingerprint: 'f-1' } };
const proposed: DriftEvent = { type: 'drift.remediation_proposed', data: { drift_id: 'd-1', plan } };
const approved: DriftEvent = { type: 'drift.remediation_approved', data: { drift_id: 'd-1', automatic: false } };
const started: DriftEvent = { type: 'drift.remediation_started', data: { drift_id: 'd-1', task_id: 't-1' } };
const failed: DriftEvent = { type: 'drift.remediation_failed', data: { drift_id: 'd-1', items: [versionItem], reason: 'the task failed' } };

t.test(
  'given nothing recorded, when a snapshot matches, then only the snapshot is recorded, its secret values masked',
  drift.given([]).when(snapshot([], '[]')).then([recorded]),
);

t.test('given a snapshot recorded, when the same one is reported again, then nothing is recorded', drift.given([recorded]).when(snapshot([], '[]')).then([]));

t.test(
  'given a snapshot recorded, when one with another secret value is reported, then it is the same once masked',
  drift
    .given([recorded])
    .when(snapshot([], '[]', 'd-1', { ...reported, settings: { log_level: 'info', api_token: 'other' } }))
    .then([]),
);

t.test(
  'given no drift, when a new snapshot differs, then it is recorded with the drift it opens, at its worst severity',
  drift
    .given([])
    .when(snapshot([versionItem, portItem], 'f-2'))
    .then([
      { type: 'drift.snapshot_recorded', data: { snapshot: masked, drift_id: 'd-1' } },
      { type: 'drift.detected', data: { drift_id: 'd-1', items: [versionItem, portItem], severity: 'high', fingerprint: 'f-2' } },
    ]),
);

t.test(
  'given an open drift, when the same differences are reported again, then nothing new is opened',
  drift
    .given([recorded, detected])
    .when(snapshot([versionItem], 'f-1', 'd-2'))
    .then([]),
);

t.test(
  'given an open drift, when the differences change, then the same drift changes',
  drift
    .given([recorded, detected])
    .when(snapshot([portItem], 'f-3', 'd-2'))
    .then([{ type: 'drift.changed', data: { drift_id: 'd-1', items: [portItem], severity: 'high', fingerprint: 'f-3' } }]),
);

t.test(
  'given an open drift, when a snapshot matches, then it is resolved by the snapshot',
  drift
    .given([recorded, detected])
    .when(snapshot([], '[]'))
    .then([{ type: 'drift.resolved', data: { drift_id: 'd-1', verified_by: 'snapshot' } }]),
);

t.test('remediation: proposed, approved, started, verified by the next snapshot', async (t) => {
  await drift.given([recorded, detected]).when({ type: 'ProposeRemediation', driftId: 'd-1', plan }).then([proposed])(t);
  await drift.given([recorded, detected, proposed]).when({ type: 'ApproveRemediation', driftId: 'd-1', automatic: false }).then([approved])(t);
  await drift.given([recorded, detected, proposed, approved]).when({ type: 'ApproveRemediation', driftId: 'd-1', automatic: true }).then([])(t);
  await drift.given([recorded, detected, proposed, approved]).when({ type: 'StartRemediation', driftId: 'd-1', taskId: 't-1' }).then([started])(t);
  await drift
    .given([recorded, detected, proposed, approved, started])
    .when(snapshot([], '[]'))
    .then([{ type: 'drift.resolved', data: { drift_id: 'd-1', verified_by: 'remediation' } }])(t);
});

t.test('retried steps decide nothing new', async (t) => {
  await drift
    .given([recorded, detected, proposed, approved])
    .when({ type: 'ProposeRemediation', driftId: 'd-1', plan: [...plan] })
    .then([])(t);
  await drift.given([recorded, detected, proposed, approved, started]).when({ type: 'StartRemediation', driftId: 'd-1', taskId: 't-1' }).then([])(t);
});

t.test('while remediating, snapshots before the fix record nothing, and a changed difference keeps the remediation going', async (t) => {
  const history = [recorded, detected, proposed, approved, started];
  await drift
    .given(history)
    .when(snapshot([versionItem], 'f-1'))
    .then([])(t);
  const changed: DriftEvent = { type: 'drift.changed', data: { drift_id: 'd-1', items: [portItem], severity: 'high', fingerprint: 'f-3' } };
  await drift
    .given(history)
    .when(snapshot([portItem], 'f-3'))
    .then([changed])(t);
  await drift
    .given([...history, changed])
    .when({ type: 'FailRemediation', driftId: 'd-1', taskId: 't-1', reason: 'still differs' })
    .then([{ type: 'drift.remediation_failed', data: { drift_id: 'd-1', items: [portItem], reason: 'still differs' } }])(t);
});

t.test('a remediation that did not fix the drift escalates it; an operator may execute it again', async (t) => {
  const history = [recorded, detected, proposed, approved, started];
  await drift.given(history).when({ type: 'FailRemediation', driftId: 'd-1', taskId: 't-1', reason: 'the task failed' }).then([failed])(t);
  await drift
    .given(history)
    .when({ type: 'FailRemediation', driftId: 'd-1', taskId: 't-0', reason: 'late' })
    .thenThrows(RuleViolationError, { code: 'stale_remediation' })(t);
  await drift
    .given([...history, failed])
    .when({ type: 'StartRemediation', driftId: 'd-1', taskId: 't-2' })
    .thenThrows(
      RuleViolationError,
      /approved/,
    )(t);
  await drift
    .given([...history, failed])
    .when({ type: 'ApproveRemediation', driftId: 'd-1', automatic: true })
    .thenThrows(
      IllegalTransitionError,
      /escalated/,
    )(t);
  await drift
    .given([...history, failed])
    .when({ type: 'ExecuteRemediation', driftId: 'd-1' })
    .then([proposed, approved])(t);
  await drift
    .given([...history, failed])
    .when({ type: 'ProposeRemediation', driftId: 'd-1', plan })
    .then([])(t);
});

t.test('given an escalated drift, when its difference changes, then it is open again for a new plan', async (t) => {
  const changed: DriftEvent = { type: 'drift.changed', data: { drift_id: 'd-1', items: [versionItem, portItem], severity: 'high', fingerprint: 'f-4' } };
  await drift
    .given([recorded, detected, proposed, approved, started, failed, changed])
    .when({ type: 'ProposeRemediation', driftId: 'd-1', plan })
    .then([proposed])(t);
});

t.test('execute: approves a proposed plan, or plans from the items when none is', async (t) => {
  await drift.given([recorded, detected, proposed]).when({ type: 'ExecuteRemediation', driftId: 'd-1' }).then([approved])(t);
  await drift.given([recorded, detected, proposed, approved]).when({ type: 'ExecuteRemediation', driftId: 'd-1' }).then([])(t);
  await drift.given([recorded, detected]).when({ type: 'ExecuteRemediation', driftId: 'd-1' }).then([proposed, approved])(t);
});

t.test('a plan of escalations only is escalated at once, and cannot be executed', async (t) => {
  const regionDrift: DriftEvent = { type: 'drift.detected', data: { drift_id: 'd-1', items: [regionItem], severity: 'high', fingerprint: 'f-r' } };
  const escalate: RemediationAction[] = [{ action: 'escalate', reason: 'resources.region differs' }];
  await drift
    .given([recorded, regionDrift])
    .when({ type: 'ProposeRemediation', driftId: 'd-1', plan: escalate })
    .then([
      { type: 'drift.remediation_proposed', data: { drift_id: 'd-1', plan: escalate } },
      { type: 'drift.escalated', data: { drift_id: 'd-1', reason: 'no action of the agent can fix this drift: resources.region differs' } },
    ])(t);
  await drift
    .given([recorded, regionDrift])
    .when({ type: 'ExecuteRemediation', driftId: 'd-1' })
    .thenThrows(RuleViolationError, { code: 'nothing_to_execute' })(t);
});

t.test('after a drift is resolved, the same difference opens a new drift', async (t) => {
  const resolved: DriftEvent = { type: 'drift.resolved', data: { drift_id: 'd-1', verified_by: 'snapshot' } };
  await drift
    .given([recorded, detected, resolved])
    .when(snapshot([versionItem], 'f-1', 'd-2'))
    .then([{ type: 'drift.detected', data: { drift_id: 'd-2', items: [versionItem], severity: 'medium', fingerprint: 'f-1' } }])(t);
});

t.test('a dismissed difference is accepted: it does not open a drift again, a different one does', async (t) => {
  const dismissed: DriftEvent = { type: 'drift.dismissed', data: { drift_id: 'd-1', reason: 'accepted' } };
  await drift.given([recorded, detected]).when({ type: 'DismissDrift', driftId: 'd-1', reason: 'accepted' }).then([dismissed])(t);
  await drift
    .given([recorded, detected, dismissed])
    .when(snapshot([versionItem], 'f-1', 'd-2'))
    .then([])(t);
  await drift
    .given([recorded, detected, dismissed])
    .when(snapshot([portItem], 'f-3', 'd-2'))
    .then([{ type: 'drift.detected', data: { drift_id: 'd-2', items: [portItem], severity: 'high', fingerprint: 'f-3' } }])(t);
});

t.test('refusals', async (t) => {
  await drift
    .given([recorded, detected])
    .when({ type: 'StartRemediation', driftId: 'd-1', taskId: 't-1' })
    .thenThrows(
      RuleViolationError,
      /approved/,
    )(t);
  await drift
    .given([recorded, detected])
    .when({ type: 'ApproveRemediation', driftId: 'd-1', automatic: true })
    .thenThrows(
      RuleViolationError,
      /no remediation plan/,
    )(t);
  await drift.given([recorded, detected]).when({ type: 'ProposeRemediation', driftId: 'd-1', plan: [] }).thenThrows(RuleViolationError, { field: 'plan' })(t);
  await drift
    .given([recorded, detected])
    .when({ type: 'FailRemediation', driftId: 'd-1', taskId: 't-1', reason: 'x' })
    .thenThrows(
      IllegalTransitionError,
      /open/,
    )(t);
  const remediating = [recorded, detected, proposed, approved, started];
  await drift
    .given(remediating)
    .when({ type: 'DismissDrift', driftId: 'd-1', reason: 'x' })
    .thenThrows(
      IllegalTransitionError,
      /remediating/,
    )(t);
  await drift
    .given(remediating)
    .when({ type: 'StartRemediation', driftId: 'd-1', taskId: 't-2' })
    .thenThrows(
      IllegalTransitionError,
      /remediating/,
    )(t);
  await drift
    .given(remediating)
    .when({ type: 'ExecuteRemediation', driftId: 'd-1' })
    .thenThrows(
      IllegalTransitionError,
      /remediating/,
    )(t);
  await drift
    .given(remediating)
    .when({ type: 'ProposeRemediation', driftId: 'd-1', plan })
    .thenThrows(
      IllegalTransitionError,
      /remediating/,
    )(t);
  await drift
    .given([recorded, detected])
    .when({ type: 'DismissDrift', driftId: 'd-9', reason: 'x' })
    .thenThrows(
      NotFoundError,
      /open drift/,
    )(t);
  await drift.given([]).when({ type: 'ProposeRemediation', driftId: 'd-1', plan }).thenThrows(NotFoundError)(t);
});
