import t from 'tap';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../../../domain/shared/errors.js';
import { driftDecider, type DriftEvent, type DriftItem, type RemediationAction } from '../../../domain/drift/index.js';
import { spec } from '../decider-specification.js';

const drift = spec(driftDecider);

const versionItem: DriftItem = { kind: 'skill_version_mismatch', path: 'skills.git', severity: 'medium', expected: '2.1', actual: '2.0' };
const portItem: DriftItem = { kind: 'port_closed', path: 'resources.ports.8080', severity: 'high', expected: 'open', actual: 'closed' };
const snapshot = (items: DriftItem[], fingerprint: string, newDriftId = 'd-1') => ({ type: 'RecordSnapshot' as const, newDriftId, items, fingerprint });
const plan: RemediationAction[] = [{ action: 'install_skill', name: 'git', version: '2.1' }];

const detected: DriftEvent = { type: 'drift.detected', data: { drift_id: 'd-1', items: [versionItem], severity: 'medium', fingerprint: 'f-1' } };
const proposed: DriftEvent = { type: 'drift.remediation_proposed', data: { drift_id: 'd-1', plan } };
const approved: DriftEvent = { type: 'drift.remediation_approved', data: { drift_id: 'd-1', automatic: false } };
const started: DriftEvent = { type: 'drift.remediation_started', data: { drift_id: 'd-1' } };

t.test('given no drift, when a snapshot matches, then nothing is recorded', drift.given([]).when(snapshot([], 'none')).then([]));

t.test('given no drift, when a snapshot differs, then a drift is detected with its worst severity', drift.given([]).when(snapshot([versionItem, portItem], 'f-2')).then([
  { type: 'drift.detected', data: { drift_id: 'd-1', items: [versionItem, portItem], severity: 'high', fingerprint: 'f-2' } },
]));

t.test('given an open drift, when the same differences are reported again, then nothing new is opened', drift.given([detected]).when(snapshot([versionItem], 'f-1', 'd-2')).then([]));

t.test('given an open drift, when the differences change, then the same drift changes', drift.given([detected]).when(snapshot([portItem], 'f-3', 'd-2')).then([
  { type: 'drift.changed', data: { drift_id: 'd-1', items: [portItem], severity: 'high', fingerprint: 'f-3' } },
]));

t.test('given an open drift, when a snapshot matches, then it is resolved by the snapshot', drift.given([detected]).when(snapshot([], 'none')).then([
  { type: 'drift.resolved', data: { drift_id: 'd-1', verified_by: 'snapshot' } },
]));

t.test('remediation: proposed, approved, started, verified by the next snapshot', async (t) => {
  await drift.given([detected]).when({ type: 'ProposeRemediation', driftId: 'd-1', plan }).then([proposed])(t);
  await drift.given([detected, proposed]).when({ type: 'ApproveRemediation', driftId: 'd-1', automatic: false }).then([approved])(t);
  await drift.given([detected, proposed, approved]).when({ type: 'ApproveRemediation', driftId: 'd-1', automatic: true }).then([])(t);
  await drift.given([detected, proposed, approved]).when({ type: 'StartRemediation', driftId: 'd-1' }).then([started])(t);
  await drift.given([detected, proposed, approved, started]).when(snapshot([], 'none')).then([{ type: 'drift.resolved', data: { drift_id: 'd-1', verified_by: 'remediation' } }])(t);
});

t.test('a remediation that did not fix the drift escalates it; a new plan may follow', async (t) => {
  const failed: DriftEvent = { type: 'drift.remediation_failed', data: { drift_id: 'd-1', items: [versionItem] } };
  await drift.given([detected, proposed, approved, started]).when(snapshot([versionItem], 'f-1')).then([failed])(t);
  await drift.given([detected, proposed, approved, started, failed]).when({ type: 'StartRemediation', driftId: 'd-1' }).thenThrows(RuleViolationError, /approved/)(t);
  await drift.given([detected, proposed, approved, started, failed]).when({ type: 'ProposeRemediation', driftId: 'd-1', plan }).then([proposed])(t);
});

t.test('after a drift is resolved or dismissed, a new difference opens a new drift', async (t) => {
  const dismissed: DriftEvent = { type: 'drift.dismissed', data: { drift_id: 'd-1', reason: 'accepted' } };
  await drift.given([detected]).when({ type: 'DismissDrift', driftId: 'd-1', reason: 'accepted' }).then([dismissed])(t);
  await drift.given([detected, dismissed]).when(snapshot([versionItem], 'f-1', 'd-2')).then([
    { type: 'drift.detected', data: { drift_id: 'd-2', items: [versionItem], severity: 'medium', fingerprint: 'f-1' } },
  ])(t);
});

t.test('refusals', async (t) => {
  await drift.given([detected]).when({ type: 'StartRemediation', driftId: 'd-1' }).thenThrows(RuleViolationError, /approved/)(t);
  await drift.given([detected]).when({ type: 'ApproveRemediation', driftId: 'd-1', automatic: true }).thenThrows(RuleViolationError, /no remediation plan/)(t);
  await drift.given([detected]).when({ type: 'ProposeRemediation', driftId: 'd-1', plan: [] }).thenThrows(RuleViolationError, { field: 'plan' })(t);
  await drift.given([detected, proposed, approved, started]).when({ type: 'DismissDrift', driftId: 'd-1', reason: 'x' }).thenThrows(IllegalTransitionError, /remediating/)(t);
  await drift.given([detected, proposed, approved, started]).when({ type: 'StartRemediation', driftId: 'd-1' }).thenThrows(IllegalTransitionError, /remediating/)(t);
  await drift.given([detected]).when({ type: 'DismissDrift', driftId: 'd-9', reason: 'x' }).thenThrows(NotFoundError, /open drift/)(t);
  await drift.given([]).when({ type: 'ProposeRemediation', driftId: 'd-1', plan }).thenThrows(NotFoundError)(t);
});
