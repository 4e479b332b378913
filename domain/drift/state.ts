import { assertNever } from '../shared/decider.js';
import type { Severity } from './compare.js';
import type { DriftEvent, RemediationAction } from './events.js';

/**
 * The drift stream of one instance holds its successive drifts; at most one is open.
 * `open -> remediating -> resolved`, `remediating -> escalated` when verification fails,
 * `open | escalated -> dismissed`.
 */
export type DriftStatus = 'open' | 'remediating' | 'escalated';

export type DriftState =
  | { readonly status: 'none' }
  | {
      readonly status: DriftStatus;
      readonly driftId: string;
      readonly fingerprint: string;
      readonly severity: Severity;
      readonly plan: readonly RemediationAction[] | null;
      readonly approved: boolean;
    };

export const initialDriftState = (): DriftState => ({ status: 'none' });

export const evolveDrift = (state: DriftState, event: DriftEvent): DriftState => {
  switch (event.type) {
    case 'drift.detected':
      return { status: 'open', driftId: event.data.drift_id, fingerprint: event.data.fingerprint, severity: event.data.severity, plan: null, approved: false };
    case 'drift.changed':
      if (state.status === 'none') return state;
      return { ...state, fingerprint: event.data.fingerprint, severity: event.data.severity, plan: null, approved: false };
    case 'drift.remediation_proposed':
      return state.status === 'none' ? state : { ...state, plan: event.data.plan, approved: false };
    case 'drift.remediation_approved':
      return state.status === 'none' ? state : { ...state, approved: true };
    case 'drift.remediation_started':
      return state.status === 'none' ? state : { ...state, status: 'remediating' };
    case 'drift.remediation_failed':
      return state.status === 'none' ? state : { ...state, status: 'escalated', plan: null, approved: false };
    case 'drift.resolved':
    case 'drift.dismissed':
      return initialDriftState();
    default:
      return assertNever(event);
  }
};
