import type { AlertEvent, AlertSeverity, AlertStatus } from '../../domain/alert/index.js';
import { assertNever } from '../../domain/shared/decider.js';
import type { Actor, RecordedEvent } from '../../events/event-store.js';
import type { ReadDocument } from '../read-store.js';

/** The alert read model. The subject is kept flat so lists can filter on its id. */
export type AlertView = ReadDocument & {
  readonly rule: string;
  /** The team's rule that raised it; null on alerts raised before rules were a team's. */
  readonly rule_id: string | null;
  readonly severity: AlertSeverity;
  readonly status: AlertStatus;
  readonly subject_type: string;
  readonly subject_id: string;
  readonly message: string;
  readonly raised_at: string;
  readonly acknowledged_at: string | null;
  readonly acknowledged_by: Actor | null;
  readonly resolved_at: string | null;
  readonly resolved_by: Actor | null;
  readonly resolution_reason: string | null;
  readonly updated_at: string;
  /** Global position of the last event applied. */
  readonly position: number;
};

/**
 * Folds one stored alert event into the view. Pure, so the projector and the API's
 * answers to writes (folded from the stream) share it.
 */
export const evolveAlertView = (view: AlertView | null, recorded: RecordedEvent): AlertView | null => {
  const event = { type: recorded.type, data: recorded.data } as AlertEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'alert.raised') {
    if (view) return view;
    return {
      id: event.data.alert_id,
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      rule: event.data.rule,
      rule_id: event.data.rule_id ?? null,
      severity: event.data.severity,
      status: 'open',
      subject_type: event.data.subject.type,
      subject_id: event.data.subject.id,
      message: event.data.message,
      raised_at: at,
      acknowledged_at: null,
      acknowledged_by: null,
      resolved_at: null,
      resolved_by: null,
      resolution_reason: null,
      updated_at: at,
    };
  }
  if (!view) return null;
  const touched = { ...view, revision: recorded.revision, position: recorded.position, updated_at: at };
  switch (event.type) {
    case 'alert.acknowledged':
      return { ...touched, status: 'acknowledged', acknowledged_at: at, acknowledged_by: recorded.metadata.actor };
    case 'alert.resolved':
      return { ...touched, status: 'resolved', resolved_at: at, resolved_by: recorded.metadata.actor, resolution_reason: event.data.reason };
    default:
      return assertNever(event);
  }
};
