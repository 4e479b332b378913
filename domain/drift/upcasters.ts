import type { Upcasters } from '../shared/upcasting.js';

/**
 * v2 adds skill parameters: snapshots may report them, items may be
 * `skill_parameters_mismatch`, plans may `configure_skill`. A v1 event is a v2 event
 * without any of these.
 */
const sameData = (data: Record<string, unknown>) => data;

/** Older drift event versions, read as the current ones. */
export const driftUpcasters: Upcasters = {
  'drift.snapshot_recorded': { 1: sameData },
  'drift.detected': { 1: sameData },
  'drift.changed': { 1: sameData },
  'drift.remediation_proposed': { 1: sameData },
  'drift.remediation_failed': { 1: sameData },
};
