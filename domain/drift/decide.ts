import { assertNever, type Decider } from '../shared/decider.js';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../shared/errors.js';
import type { DriftCommand, RecordSnapshot } from './commands.js';
import { overallSeverity } from './compare.js';
import type { DriftEvent } from './events.js';
import { evolveDrift, initialDriftState, type DriftState } from './state.js';

type OpenDrift = Exclude<DriftState, { status: 'none' }>;

const incident = (driftId: string, command: RecordSnapshot) => ({
  drift_id: driftId,
  items: [...command.items],
  severity: overallSeverity(command.items) ?? 'low',
  fingerprint: command.fingerprint,
});

/** A snapshot opens, changes, verifies or clears the instance's drift; a repeat records nothing. */
const recordSnapshot = (command: RecordSnapshot, state: DriftState): DriftEvent[] => {
  const drifted = command.items.length > 0;
  if (state.status === 'none') return drifted ? [{ type: 'drift.detected', data: incident(command.newDriftId, command) }] : [];
  const driftId = state.driftId;
  if (!drifted) return [{ type: 'drift.resolved', data: { drift_id: driftId, verified_by: state.status === 'remediating' ? 'remediation' : 'snapshot' } }];
  if (state.status === 'remediating') return [{ type: 'drift.remediation_failed', data: { drift_id: driftId, items: [...command.items] } }];
  if (command.fingerprint === state.fingerprint) return [];
  return [{ type: 'drift.changed', data: incident(driftId, command) }];
};

const requireDrift = (state: DriftState, driftId: string): OpenDrift => {
  if (state.status === 'none' || state.driftId !== driftId) throw new NotFoundError('open drift');
  return state;
};

const refuse = (drift: OpenDrift, action: string): never => {
  throw new IllegalTransitionError('drift', drift.status, action);
};

export const decideDrift = (command: DriftCommand, state: DriftState): DriftEvent[] => {
  if (command.type === 'RecordSnapshot') return recordSnapshot(command, state);
  const drift = requireDrift(state, command.driftId);
  switch (command.type) {
    case 'ProposeRemediation':
      if (drift.status === 'remediating') refuse(drift, 'propose a remediation for');
      if (command.plan.length === 0) throw new RuleViolationError('empty_plan', 'a remediation plan needs at least one action', 'plan');
      return [{ type: 'drift.remediation_proposed', data: { drift_id: drift.driftId, plan: [...command.plan] } }];
    case 'ApproveRemediation':
      if (drift.status === 'remediating') refuse(drift, 'approve a remediation for');
      if (!drift.plan) throw new RuleViolationError('no_plan', 'no remediation plan has been proposed for this drift');
      if (drift.approved) return [];
      return [{ type: 'drift.remediation_approved', data: { drift_id: drift.driftId, automatic: command.automatic } }];
    case 'StartRemediation':
      if (drift.status === 'remediating') refuse(drift, 'start remediating');
      if (!drift.approved) throw new RuleViolationError('not_approved', 'the remediation plan must be approved before it runs');
      return [{ type: 'drift.remediation_started', data: { drift_id: drift.driftId } }];
    case 'DismissDrift':
      if (drift.status === 'remediating') refuse(drift, 'dismiss');
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
