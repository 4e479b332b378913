import type { DomainEvent } from '../shared/decider.js';

export const alertStatuses = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof alertStatuses)[number];

/** The same scale drift uses, so alerts from every rule sort together. */
export const alertSeverities = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof alertSeverities)[number];

/** What the alert is about, e.g. `{ type: 'instance', id: '0190…' }`. */
export type AlertSubject = { readonly type: string; readonly id: string };

/** A rule saw a condition operators must know of. `rule_id` is absent on alerts raised before rules were a team's. */
export type AlertRaised = DomainEvent<
  'alert.raised',
  { alert_id: string; rule: string; rule_id?: string; severity: AlertSeverity; subject: AlertSubject; message: string }
>;
/** An operator has seen the alert and is on it. */
export type AlertAcknowledged = DomainEvent<'alert.acknowledged', Record<string, never>>;
/** The condition cleared (its rule says so) or an operator closed the alert. */
export type AlertResolved = DomainEvent<'alert.resolved', { reason: string }>;

export type AlertEvent = AlertRaised | AlertAcknowledged | AlertResolved;

export const alertEventTypes: readonly AlertEvent['type'][] = ['alert.raised', 'alert.acknowledged', 'alert.resolved'];
