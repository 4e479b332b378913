import {
  driftActionsAllowed,
  type DriftEvent,
  type DriftItem,
  type DriftStatus,
  type OperatorDriftAction,
  type RemediationAction,
  type Severity,
} from '../../domain/drift/index.js';
import { assertNever } from '../../domain/shared/decider.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { idOfStream } from '../../events/streams.js';
import type { ReadDocument } from '../read-store.js';

export const driftViewStatuses = ['open', 'remediating', 'escalated', 'resolved', 'dismissed'] as const;
export type DriftViewStatus = (typeof driftViewStatuses)[number];

export type PlanView = {
  readonly actions: readonly RemediationAction[];
  readonly proposed_at: string;
  /** Null until approved; `automatic` when the team's policy approved it. */
  readonly approval: { readonly automatic: boolean; readonly approved_at: string } | null;
};

export type RemediationView = {
  readonly task_id: string;
  readonly started_at: string;
  readonly failed_at: string | null;
  readonly failure_reason: string | null;
};

/** One drift ("drift event" in the API) of an instance, from detection to its end. */
export type DriftView = ReadDocument & {
  readonly instance_id: string;
  readonly status: DriftViewStatus;
  readonly severity: Severity;
  readonly items: readonly DriftItem[];
  readonly fingerprint: string;
  readonly plan: PlanView | null;
  /** The latest remediation run, if any. */
  readonly remediation: RemediationView | null;
  /** Why operators must act, once escalated. */
  readonly escalation_reason: string | null;
  readonly verified_by: 'remediation' | 'snapshot' | null;
  readonly dismiss_reason: string | null;
  readonly allowed_actions: readonly OperatorDriftAction[];
  readonly detected_at: string;
  readonly updated_at: string;
  readonly closed_at: string | null;
  /** Global position of the last event applied. */
  readonly position: number;
};

const isActive = (status: DriftViewStatus): status is DriftStatus => status === 'open' || status === 'remediating' || status === 'escalated';

/** The operator actions allowed, judged by the domain from what the view knows of the drift. */
const allowedActions = (view: DriftView): OperatorDriftAction[] =>
  isActive(view.status)
    ? driftActionsAllowed({
        drift: {
          status: view.status,
          driftId: view.id,
          items: view.items,
          fingerprint: view.fingerprint,
          severity: view.severity,
          plan: view.plan?.actions ?? null,
          approved: view.status !== 'escalated' && view.plan?.approval != null,
          taskId: view.status === 'remediating' ? (view.remediation?.task_id ?? null) : null,
        },
        snapshotFingerprint: null,
        acceptedFingerprint: null,
      })
    : [];

const changesOf = (view: DriftView, event: Exclude<DriftEvent, { type: 'drift.snapshot_recorded' | 'drift.detected' }>, at: string): Partial<DriftView> => {
  switch (event.type) {
    case 'drift.changed': {
      const { items, severity, fingerprint } = event.data;
      return view.status === 'remediating' ? { items, severity, fingerprint } : { status: 'open', items, severity, fingerprint, plan: null };
    }
    case 'drift.remediation_proposed':
      return { status: 'open', plan: { actions: event.data.plan, proposed_at: at, approval: null } };
    case 'drift.remediation_approved':
      return { plan: view.plan && { ...view.plan, approval: { automatic: event.data.automatic, approved_at: at } } };
    case 'drift.remediation_started':
      return { status: 'remediating', remediation: { task_id: event.data.task_id, started_at: at, failed_at: null, failure_reason: null } };
    case 'drift.remediation_failed':
      return {
        status: 'escalated',
        items: event.data.items,
        remediation: view.remediation && { ...view.remediation, failed_at: at, failure_reason: event.data.reason },
        escalation_reason: event.data.reason,
      };
    case 'drift.escalated':
      return { status: 'escalated', escalation_reason: event.data.reason };
    case 'drift.resolved':
      return { status: 'resolved', verified_by: event.data.verified_by, closed_at: at };
    case 'drift.dismissed':
      return { status: 'dismissed', dismiss_reason: event.data.reason, closed_at: at };
    default:
      return assertNever(event);
  }
};

/**
 * Folds one stored drift-stream event into the view of drift `view` (or opens one on
 * `drift.detected`). Events of other drifts of the stream, and snapshots, leave it as is.
 * Pure, so the projector and the API's answers to writes share it.
 */
export const evolveDriftView = (view: DriftView | null, recorded: RecordedEvent): DriftView | null => {
  const event = { type: recorded.type, data: recorded.data } as DriftEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'drift.snapshot_recorded') return view;
  if (event.type === 'drift.detected') {
    if (view) return view;
    const opened: DriftView = {
      id: event.data.drift_id,
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      instance_id: idOfStream(recorded.stream),
      status: 'open',
      severity: event.data.severity,
      items: event.data.items,
      fingerprint: event.data.fingerprint,
      plan: null,
      remediation: null,
      escalation_reason: null,
      verified_by: null,
      dismiss_reason: null,
      allowed_actions: [],
      detected_at: at,
      updated_at: at,
      closed_at: null,
    };
    return { ...opened, allowed_actions: allowedActions(opened) };
  }
  if (!view || event.data.drift_id !== view.id) return view;
  const next: DriftView = { ...view, ...changesOf(view, event, at), revision: recorded.revision, position: recorded.position, updated_at: at };
  return { ...next, allowed_actions: allowedActions(next) };
};

/** The drift `driftId` as the events of its stream tell it. */
export const foldDriftView = (history: readonly RecordedEvent[], driftId: string): DriftView | null =>
  history.reduce<DriftView | null>(
    (view, event) => (view !== null || (event.data as { drift_id?: unknown }).drift_id === driftId ? evolveDriftView(view, event) : view),
    null,
  );
