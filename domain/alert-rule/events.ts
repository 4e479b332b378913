import type { AlertSeverity } from '../alert/events.js';
import type { DomainEvent } from '../shared/decider.js';

export const alertRuleKinds = ['no_heartbeat', 'task_failure_rate', 'open_drift', 'metric_threshold'] as const;
export type AlertRuleKind = (typeof alertRuleKinds)[number];

/** What a rule watches for; each kind its own parameters. */
export type AlertRuleCondition =
  /** A running instance whose agent has not beaten for `seconds`. */
  | { readonly kind: 'no_heartbeat'; readonly seconds: number }
  /** An instance on which at least `min_count` task runs ended within the window, and at least `rate` (0-1) of them failed. */
  | { readonly kind: 'task_failure_rate'; readonly window_seconds: number; readonly min_count: number; readonly rate: number }
  /** An instance with open drift at or above `severity`. */
  | { readonly kind: 'open_drift'; readonly severity: AlertSeverity }
  /** An instance whose `metric` stayed above (or below) `threshold` for `duration_seconds`. */
  | {
      readonly kind: 'metric_threshold';
      readonly metric: string;
      readonly operator: 'above' | 'below';
      readonly threshold: number;
      readonly duration_seconds: number;
    };

/** Where the alerts of a rule are told. Only webhooks today; e-mail and chat would be more members. */
export type NotificationChannelRef = { readonly type: 'webhook'; readonly webhook_id: string };

export type AlertRuleDefinition = {
  readonly name: string;
  readonly condition: AlertRuleCondition;
  readonly severity: AlertSeverity;
  readonly channels: readonly NotificationChannelRef[];
};

/** A rule was created, by a team or as one of its default rules (`built_in` names which). */
export type AlertRuleCreated = DomainEvent<'alert_rule.created', AlertRuleDefinition & { rule_id: string; built_in: string | null }>;
/** The rule's definition changed; the event holds all of it as it now is. */
export type AlertRuleUpdated = DomainEvent<'alert_rule.updated', AlertRuleDefinition>;
export type AlertRuleEnabled = DomainEvent<'alert_rule.enabled', Record<string, never>>;
export type AlertRuleDisabled = DomainEvent<'alert_rule.disabled', Record<string, never>>;
export type AlertRuleDeleted = DomainEvent<'alert_rule.deleted', Record<string, never>>;

export type AlertRuleEvent = AlertRuleCreated | AlertRuleUpdated | AlertRuleEnabled | AlertRuleDisabled | AlertRuleDeleted;

export const alertRuleEventTypes: readonly AlertRuleEvent['type'][] = [
  'alert_rule.created',
  'alert_rule.updated',
  'alert_rule.enabled',
  'alert_rule.disabled',
  'alert_rule.deleted',
];
