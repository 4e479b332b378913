import { assertNever, type Decider } from '../shared/decider.js';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../shared/errors.js';
import type { DriftCommand, RecordSnapshot } from './commands.js';
import { canonical, overallSeverity } from './compare.js';
import type { DriftEvent, RemediationAction } from './events.js';
import { agentCanApply, remediationPlan } from './plan.js';
import { maskSnapshot, snapshotFingerprint } from './snapshot.js';
import { evolveDrift, initialDriftState, type DriftState, type OpenDrift } from './state.js';

const incident = (driftId: string, command: RecordSnapshot) => ({
  drift_id: driftId,
  items: [...command.items],
  severity: overallSeverity(command.items) ?? 'low',
  fingerprint: command.fingerprint,
});

/** A snapshot opens, changes, verifies or clears the instance's drift; a repeat decides nothing. */
const driftOutcome = (command: RecordSnapshot, state: DriftState): DriftEvent[] => {
  const { drift } = state;
  const drifted = command.items.length > 0;
  if (!drift)
    return drifted && command.fingerprint !== state.acceptedFingerprint ? [{ type: 'drift.detected', data: incident(command.newDriftId, command) }] : [];
  if (!drifted)
    return [{ type: 'drift.resolved', data: { drift_id: drift.driftId, verified_by: drift.status === 'remediating' ? 'remediation' : 'snapshot' } }];
  if (command.fingerprint === drift.fingerprint) return [];
  return [{ type: 'drift.changed', data: incident(drift.driftId, command) }];
};

/** The snapshot itself is recorded, masked, only when it differs from the last one recorded. */
const recordSnapshot = (command: RecordSnapshot, state: DriftState): DriftEvent[] => {
  const outcome = driftOutcome(command, state);
  const snapshot = maskSnapshot(command.snapshot);
  if (snapshotFingerprint(snapshot) === state.snapshotFingerprint) return outcome;
  const after = outcome.reduce(evolveDrift, state);
  return [{ type: 'drift.snapshot_recorded', data: { snapshot, drift_id: after.drift?.driftId ?? null } }, ...outcome];
};

const requireDrift = (state: DriftState, driftId: string): OpenDrift => {
  if (!state.drift || state.drift.driftId !== driftId) throw new NotFoundError('open drift');
  return state.drift;
};

const refuse = (drift: OpenDrift, action: string): never => {
  throw new IllegalTransitionError('drift', drift.status, action);
};

const refuseWhileRemediating = (drift: OpenDrift, action: string): void => {
  if (drift.status === 'remediating') refuse(drift, action);
};

/** A plan of escalations only is escalated at once: there is nothing to approve or run. */
const proposal = (drift: OpenDrift, plan: readonly RemediationAction[]): DriftEvent[] => {
  const proposed: DriftEvent = { type: 'drift.remediation_proposed', data: { drift_id: drift.driftId, plan: [...plan] } };
  if (agentCanApply(plan)) return [proposed];
  const reasons = plan.flatMap((action) => (action.action === 'escalate' ? [action.reason] : []));
  return [proposed, { type: 'drift.escalated', data: { drift_id: drift.driftId, reason: `no action of the agent can fix this drift: ${reasons.join('; ')}` } }];
};

const approval = (drift: OpenDrift, automatic: boolean): DriftEvent => ({ type: 'drift.remediation_approved', data: { drift_id: drift.driftId, automatic } });

export const decideDrift = (command: DriftCommand, state: DriftState): DriftEvent[] => {
  if (command.type === 'RecordSnapshot') return recordSnapshot(command, state);
  const drift = requireDrift(state, command.driftId);
  switch (command.type) {
    case 'ProposeRemediation':
      refuseWhileRemediating(drift, 'propose a remediation for');
      if (command.plan.length === 0) throw new RuleViolationError('empty_plan', 'a remediation plan needs at least one action', 'plan');
      // A retried proposal of the plan already proposed must not withdraw its approval.
      if (drift.plan && canonical(drift.plan) === canonical(command.plan)) return [];
      return proposal(drift, command.plan);
    case 'ApproveRemediation':
      refuseWhileRemediating(drift, 'approve a remediation for');
      if (drift.status === 'escalated') refuse(drift, 'approve a remediation for');
      if (!drift.plan) throw new RuleViolationError('no_plan', 'no remediation plan has been proposed for this drift');
      return drift.approved ? [] : [approval(drift, command.automatic)];
    case 'ExecuteRemediation': {
      refuseWhileRemediating(drift, 'execute a remediation for');
      if (drift.status === 'open' && drift.plan) return drift.approved ? [] : [approval(drift, false)];
      const plan = remediationPlan(drift.items);
      if (!agentCanApply(plan)) {
        throw new RuleViolationError('nothing_to_execute', 'no action of the agent can fix this drift; change the desired spec or dismiss the drift');
      }
      return [...proposal(drift, plan), approval(drift, false)];
    }
    case 'StartRemediation':
      if (drift.status === 'remediating' && drift.taskId === command.taskId) return [];
      refuseWhileRemediating(drift, 'start remediating');
      if (!drift.approved) throw new RuleViolationError('not_approved', 'the remediation plan must be approved before it runs');
      return [{ type: 'drift.remediation_started', data: { drift_id: drift.driftId, task_id: command.taskId } }];
    case 'FailRemediation':
      if (drift.status !== 'remediating') refuse(drift, 'fail the remediation of');
      if (drift.taskId !== command.taskId) throw new RuleViolationError('stale_remediation', `task ${command.taskId} is not the drift's remediation under way`);
      return [{ type: 'drift.remediation_failed', data: { drift_id: drift.driftId, items: [...drift.items], reason: command.reason } }];
    case 'DismissDrift':
      refuseWhileRemediating(drift, 'dismiss');
      return [{ type: 'drift.dismissed', data: { drift_id: drift.driftId, reason: command.reason } }];
    default:
      return assertNever(command);
  }
};

export const driftDecider: Decider<DriftCommand, DriftEvent, DriftState> = {
  decide: decideDrift,
  evolve: evolveDrift,
  initialState: initialDriftState,
};
