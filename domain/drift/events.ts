import type { DomainEvent } from '../shared/decider.js';
import type { ConfigurationSnapshot, DriftItem, Severity } from './compare.js';

/**
 * One step of a remediation plan, carried out by the instance's agent. `set_setting` names
 * the setting only: its value comes from the desired spec when the plan runs, so no plan
 * ever holds a secret. `configure_skill` carries the skill's parameters: they are no secret,
 * the desired spec holds them in the clear.
 */
export type RemediationAction =
  | { readonly action: 'install_skill'; readonly name: string; readonly version: string }
  | { readonly action: 'configure_skill'; readonly name: string; readonly parameters: Readonly<Record<string, unknown>> }
  | { readonly action: 'disable_skill'; readonly name: string }
  | { readonly action: 'set_runtime_version'; readonly version: string }
  | { readonly action: 'set_setting'; readonly name: string }
  | { readonly action: 'escalate'; readonly reason: string };

type Incident = { drift_id: string; items: DriftItem[]; severity: Severity; fingerprint: string };

/**
 * A snapshot that differs from the last one recorded, secret values masked; `drift_id` is
 * the drift open once it was compared, if any.
 */
export type SnapshotRecorded = DomainEvent<'drift.snapshot_recorded', { snapshot: ConfigurationSnapshot; drift_id: string | null }>;
/** A snapshot differed from the desired spec and no drift was open: one is opened. */
export type DriftDetected = DomainEvent<'drift.detected', Incident>;
/** The open drift's differences changed (not merely repeated). */
export type DriftChanged = DomainEvent<'drift.changed', Incident>;
export type RemediationProposed = DomainEvent<'drift.remediation_proposed', { drift_id: string; plan: RemediationAction[] }>;
/** `automatic` when a team policy approved it rather than an operator. */
export type RemediationApproved = DomainEvent<'drift.remediation_approved', { drift_id: string; automatic: boolean }>;
/** The approved plan runs as the `config.apply` task `task_id` on the instance. */
export type RemediationStarted = DomainEvent<'drift.remediation_started', { drift_id: string; task_id: string }>;
/** The remediation did not bring the instance back (its task failed, or later snapshots still differed): escalated to operators. */
export type RemediationFailed = DomainEvent<'drift.remediation_failed', { drift_id: string; items: DriftItem[]; reason: string }>;
/** Nothing in the plan is for the agent to do (resources, region, provider): escalated to operators without running it. */
export type DriftEscalated = DomainEvent<'drift.escalated', { drift_id: string; reason: string }>;
/** A snapshot matched the desired spec again. */
export type DriftResolved = DomainEvent<'drift.resolved', { drift_id: string; verified_by: 'remediation' | 'snapshot' }>;
/** An operator accepted the difference: the same difference does not open a drift again. */
export type DriftDismissed = DomainEvent<'drift.dismissed', { drift_id: string; reason: string }>;

export type DriftEvent =
  | SnapshotRecorded
  | DriftDetected
  | DriftChanged
  | RemediationProposed
  | RemediationApproved
  | RemediationStarted
  | RemediationFailed
  | DriftEscalated
  | DriftResolved
  | DriftDismissed;

export const driftEventTypes: readonly DriftEvent['type'][] = [
  'drift.snapshot_recorded',
  'drift.detected',
  'drift.changed',
  'drift.remediation_proposed',
  'drift.remediation_approved',
  'drift.remediation_started',
  'drift.remediation_failed',
  'drift.escalated',
  'drift.resolved',
  'drift.dismissed',
];
