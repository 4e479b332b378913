import { v5 as uuidv5 } from 'uuid';
import type { AlertSubject, RaiseAlert, ResolveAlert } from '../../domain/alert/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { idOfStream } from '../../events/streams.js';
import type { AlertRule } from './rule.js';

/** Namespace of alert ids. */
const alertIdNamespace = 'a4c110c5-4e98-406f-95fe-f1c4dd3731f3';

/** The id of the alert `rule` raises about `subject` because of the event `causeEventId`: the same cause, the same alert. */
export const alertIdFor = (rule: string, subject: AlertSubject, causeEventId: string): string =>
  uuidv5(`${rule}\n${subject.type}\n${subject.id}\n${causeEventId}`, alertIdNamespace);

/** A command a rule's signal leads to, for the alert `alertId` of the tenant whose event caused it. */
export type AlertRequest = {
  readonly tenant: string;
  readonly alertId: string;
  readonly command: RaiseAlert | ResolveAlert;
};

export type AlertRuleEngine = {
  /** Feeds `event` to every rule; the commands their signals call for, in order. */
  readonly observe: (event: RecordedEvent) => AlertRequest[];
  /** What the engine and its rules remember, as JSON. */
  readonly snapshot: () => AlertEngineSnapshot;
  /** Takes back a snapshot, on a fresh engine with the same rules. */
  readonly restore: (snapshot: AlertEngineSnapshot) => void;
};

export type AlertEngineSnapshot = { readonly open: [string, string][]; readonly rules: Record<string, unknown> };

/**
 * Runs the rules and keeps at most one open alert per rule and subject: a raise while one
 * is open, and a resolve while none is, lead to nothing. What is open follows from the
 * engine's own requests and from `alert.resolved` events (an operator closing an alert);
 * so, like the rules, it is a fold of the log.
 */
export const createAlertRuleEngine = (rules: readonly AlertRule[]): AlertRuleEngine => {
  /** Open alert id by rule and subject, and the way back. */
  const openAlerts = new Map<string, string>();
  const keyOfAlert = new Map<string, string>();
  const keyOf = (rule: string, subject: AlertSubject) => `${rule}\n${subject.type}\n${subject.id}`;

  const close = (key: string, alertId: string): void => {
    openAlerts.delete(key);
    keyOfAlert.delete(alertId);
  };

  return {
    snapshot: () => ({ open: [...openAlerts], rules: Object.fromEntries(rules.map((rule) => [rule.name, rule.snapshot()])) }),
    restore: (snapshot) => {
      for (const [key, alertId] of snapshot.open) {
        openAlerts.set(key, alertId);
        keyOfAlert.set(alertId, key);
      }
      for (const rule of rules) if (rule.name in snapshot.rules) rule.restore(snapshot.rules[rule.name]);
    },
    observe: (event) => {
      if (event.type === 'alert.resolved') {
        const alertId = idOfStream(event.stream);
        const key = keyOfAlert.get(alertId);
        if (key !== undefined) close(key, alertId);
      }
      const requests: AlertRequest[] = [];
      for (const rule of rules) {
        for (const signal of rule.observe(event)) {
          const key = keyOf(rule.name, signal.subject);
          const open = openAlerts.get(key);
          if (signal.kind === 'raise' && open === undefined) {
            const alertId = alertIdFor(rule.name, signal.subject, event.id);
            openAlerts.set(key, alertId);
            keyOfAlert.set(alertId, key);
            const { subject, severity, message } = signal;
            requests.push({ tenant: event.tenant, alertId, command: { type: 'RaiseAlert', alertId, rule: rule.name, severity, subject, message } });
          } else if (signal.kind === 'resolve' && open !== undefined) {
            close(key, open);
            requests.push({ tenant: event.tenant, alertId: open, command: { type: 'ResolveAlert', reason: signal.reason } });
          }
        }
      }
      return requests;
    },
  };
};
