import type { AlertRuleCondition, AlertRuleEvent, AlertRuleKind, NotificationChannelRef } from '../../domain/alert-rule/index.js';
import type { AlertSeverity } from '../../domain/alert/index.js';
import { assertNever } from '../../domain/shared/decider.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { ReadDocument } from '../read-store.js';

/** A deleted rule keeps its document (status `deleted`): its alerts still name it, and lists leave it out. */
export type AlertRuleViewStatus = 'enabled' | 'disabled' | 'deleted';

/** The alert rule read model; `kind` is the condition's, kept flat so lists filter on it. */
export type AlertRuleView = ReadDocument & {
  readonly name: string;
  readonly kind: AlertRuleKind;
  readonly condition: AlertRuleCondition;
  readonly severity: AlertSeverity;
  readonly channels: readonly NotificationChannelRef[];
  readonly status: AlertRuleViewStatus;
  readonly built_in: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly position: number;
};

/** Folds one stored alert rule event into the view; pure, shared by the projector and the answers to writes. */
export const evolveAlertRuleView = (view: AlertRuleView | null, recorded: RecordedEvent): AlertRuleView | null => {
  const event = { type: recorded.type, data: recorded.data } as AlertRuleEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'alert_rule.created') {
    if (view) return view;
    const { rule_id, name, condition, severity, channels, built_in } = event.data;
    return {
      id: rule_id,
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      name,
      kind: condition.kind,
      condition,
      severity,
      channels,
      status: 'enabled',
      built_in,
      created_at: at,
      updated_at: at,
    };
  }
  if (!view) return null;
  const touched = { ...view, revision: recorded.revision, position: recorded.position, updated_at: at };
  switch (event.type) {
    case 'alert_rule.updated': {
      const { name, condition, severity, channels } = event.data;
      return { ...touched, name, kind: condition.kind, condition, severity, channels };
    }
    case 'alert_rule.enabled':
      return { ...touched, status: 'enabled' };
    case 'alert_rule.disabled':
      return { ...touched, status: 'disabled' };
    case 'alert_rule.deleted':
      return { ...touched, status: 'deleted' };
    default:
      return assertNever(event);
  }
};
