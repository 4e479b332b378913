import type { AlertSeverity, AlertSubject } from './events.js';

/** Issued by alert rules; the id is derived from what raised it, so raising it again records nothing. */
export type RaiseAlert = {
  readonly type: 'RaiseAlert';
  readonly alertId: string;
  readonly rule: string;
  readonly severity: AlertSeverity;
  readonly subject: AlertSubject;
  readonly message: string;
};
export type AcknowledgeAlert = { readonly type: 'AcknowledgeAlert' };
/** By an operator, or by the rule that raised the alert once its condition cleared. */
export type ResolveAlert = { readonly type: 'ResolveAlert'; readonly reason: string };

export type AlertCommand = RaiseAlert | AcknowledgeAlert | ResolveAlert;
