import type { DriftItem } from './compare.js';
import type { RemediationAction } from './events.js';

/** An agent's snapshot, already compared with the desired spec (see compare.ts). */
export type RecordSnapshot = {
  readonly type: 'RecordSnapshot';
  /** Id of the drift to open if this snapshot opens one. */
  readonly newDriftId: string;
  readonly items: readonly DriftItem[];
  readonly fingerprint: string;
};
export type ProposeRemediation = { readonly type: 'ProposeRemediation'; readonly driftId: string; readonly plan: readonly RemediationAction[] };
export type ApproveRemediation = { readonly type: 'ApproveRemediation'; readonly driftId: string; readonly automatic: boolean };
export type StartRemediation = { readonly type: 'StartRemediation'; readonly driftId: string };
export type DismissDrift = { readonly type: 'DismissDrift'; readonly driftId: string; readonly reason: string };

export type DriftCommand = RecordSnapshot | ProposeRemediation | ApproveRemediation | StartRemediation | DismissDrift;
