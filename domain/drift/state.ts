import { assertNever } from '../shared/decider.js';
import type { DriftItem, Severity } from './compare.js';
import type { DriftEvent, RemediationAction } from './events.js';
import { snapshotFingerprint } from './snapshot.js';

/**
 * `open -> remediating -> resolved`; `remediating -> escalated` when the remediation
 * failed, `open -> escalated` when no agent action can fix it; `open | escalated ->
 * dismissed`. A changed difference puts an escalated drift back to `open`.
 */
export type DriftStatus = 'open' | 'remediating' | 'escalated';

export type OpenDrift = {
  readonly status: DriftStatus;
  readonly driftId: string;
  readonly items: readonly DriftItem[];
  readonly fingerprint: string;
  readonly severity: Severity;
  readonly plan: readonly RemediationAction[] | null;
  readonly approved: boolean;
  /** The `config.apply` task carrying out the plan, while remediating. */
  readonly taskId: string | null;
};

/** The drift stream of one instance holds its snapshots and successive drifts; at most one is open. */
export type DriftState = {
  readonly drift: OpenDrift | null;
  /** Of the last snapshot recorded: an unchanged one is not recorded again. */
  readonly snapshotFingerprint: string | null;
  /** The difference of the last dismissed drift: it does not open a drift again; only a different one does. */
  readonly acceptedFingerprint: string | null;
};

export const initialDriftState = (): DriftState => ({ drift: null, snapshotFingerprint: null, acceptedFingerprint: null });

const withDrift = (state: DriftState, changes: Partial<OpenDrift>): DriftState => (state.drift ? { ...state, drift: { ...state.drift, ...changes } } : state);

export const evolveDrift = (state: DriftState, event: DriftEvent): DriftState => {
  switch (event.type) {
    case 'drift.snapshot_recorded':
      return { ...state, snapshotFingerprint: snapshotFingerprint(event.data.snapshot) };
    case 'drift.detected': {
      const { drift_id, items, fingerprint, severity } = event.data;
      return {
        ...state,
        acceptedFingerprint: null,
        drift: { status: 'open', driftId: drift_id, items, fingerprint, severity, plan: null, approved: false, taskId: null },
      };
    }
    case 'drift.changed': {
      const { items, fingerprint, severity } = event.data;
      // A remediation under way goes on and is judged by the snapshots after it; otherwise the old plan no longer fits.
      if (state.drift?.status === 'remediating') return withDrift(state, { items, fingerprint, severity });
      return withDrift(state, { status: 'open', items, fingerprint, severity, plan: null, approved: false });
    }
    case 'drift.remediation_proposed':
      return withDrift(state, { status: 'open', plan: event.data.plan, approved: false });
    case 'drift.remediation_approved':
      return withDrift(state, { approved: true });
    case 'drift.remediation_started':
      return withDrift(state, { status: 'remediating', taskId: event.data.task_id });
    case 'drift.remediation_failed':
    case 'drift.escalated':
      return withDrift(state, { status: 'escalated', approved: false, taskId: null });
    case 'drift.resolved':
      return { ...state, drift: null };
    case 'drift.dismissed':
      return { ...state, drift: null, acceptedFingerprint: state.drift?.fingerprint ?? null };
    default:
      return assertNever(event);
  }
};
