import type { DomainEvent } from '../shared/decider.js';
import type { DriftItem, Severity } from './compare.js';

/** One step of a remediation plan, carried out by the instance's agent. */
export type RemediationAction =
  | { readonly action: 'install_skill'; readonly name: string; readonly version: string }
  | { readonly action: 'disable_skill'; readonly name: string }
  | { readonly action: 'set_runtime_version'; readonly version: string }
  | { readonly action: 'set_setting'; readonly name: string }
  | { readonly action: 'escalate'; readonly reason: string };

type Incident = { drift_id: string; items: DriftItem[]; severity: Severity; fingerprint: string };

/** A snapshot differed from the desired spec and no drift was open: one is opened. */
export type DriftDetected = DomainEvent<'drift.detected', Incident>;
/** The open drift's differences changed (not merely repeated). */
export type DriftChanged = DomainEvent<'drift.changed', Incident>;
export type RemediationProposed = DomainEvent<'drift.remediation_proposed', { drift_id: string; plan: RemediationAction[] }>;
/** `automatic` when a team policy approved it rather than an operator. */
export type RemediationApproved = DomainEvent<'drift.remediation_approved', { drift_id: string; automatic: boolean }>;
export type RemediationStarted = DomainEvent<'drift.remediation_started', { drift_id: string }>;
/** The next snapshot after remediation still differed: the drift is escalated to operators. */
export type RemediationFailed = DomainEvent<'drift.remediation_failed', { drift_id: string; items: DriftItem[] }>;
/** A snapshot matched the desired spec again. */
export type DriftResolved = DomainEvent<'drift.resolved', { drift_id: string; verified_by: 'remediation' | 'snapshot' }>;
export type DriftDismissed = DomainEvent<'drift.dismissed', { drift_id: string; reason: string }>;

export type DriftEvent =
  | DriftDetected
  | DriftChanged
  | RemediationProposed
  | RemediationApproved
  | RemediationStarted
  | RemediationFailed
  | DriftResolved
  | DriftDismissed;

export const driftEventTypes: readonly DriftEvent['type'][] = [
  'drift.detected',
  'drift.changed',
  'drift.remediation_proposed',
  'drift.remediation_approved',
  'drift.remediation_started',
  'drift.remediation_failed',
  'drift.resolved',
  'drift.dismissed',
];
