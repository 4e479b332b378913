import type { AlertSeverity, AlertSubject } from './events.js';

/** Issued by alert rules; the id is derived from what raised it, so raising it again records nothing. */
export type RaiseAlert = {
  readonly type: 'RaiseAlert';
  readonly alertId: string;
  /** The kind of rule, e.g. `no_heartbeat`. */
  readonly rule: string;
  /** The team's rule that raised it. */
  readonly ruleId: string;
  readonly severity: AlertSeverity;
  readonly subject: AlertSubject;
  readonly message: string;
};
export type AcknowledgeAlert = { readonly type: 'AcknowledgeAlert' };
/** By an operator, or by the rule that raised the alert once its condition cleared. */
export type ResolveAlert = { readonly type: 'ResolveAlert'; readonly reason: string };

export type AlertCommand = RaiseAlert | AcknowledgeAlert | ResolveAlert;
