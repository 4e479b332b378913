import type { ConfigurationSnapshot, DriftItem } from './compare.js';
import type { RemediationAction } from './events.js';

/** An agent's snapshot, already compared with the desired spec (see compare.ts); the decider masks its secrets. */
export type RecordSnapshot = {
  readonly type: 'RecordSnapshot';
  /** Id of the drift to open if this snapshot opens one. */
  readonly newDriftId: string;
  readonly snapshot: ConfigurationSnapshot;
  readonly items: readonly DriftItem[];
  readonly fingerprint: string;
};
export type ProposeRemediation = { readonly type: 'ProposeRemediation'; readonly driftId: string; readonly plan: readonly RemediationAction[] };
export type ApproveRemediation = { readonly type: 'ApproveRemediation'; readonly driftId: string; readonly automatic: boolean };
/** An operator's "fix it now": approves the plan, or plans again from the current items after an escalation. */
export type ExecuteRemediation = { readonly type: 'ExecuteRemediation'; readonly driftId: string };
export type StartRemediation = { readonly type: 'StartRemediation'; readonly driftId: string; readonly taskId: string };
export type FailRemediation = { readonly type: 'FailRemediation'; readonly driftId: string; readonly taskId: string; readonly reason: string };
export type DismissDrift = { readonly type: 'DismissDrift'; readonly driftId: string; readonly reason: string };

export type DriftCommand = RecordSnapshot | ProposeRemediation | ApproveRemediation | ExecuteRemediation | StartRemediation | FailRemediation | DismissDrift;
