import type { Upcasters } from '../shared/upcasting.js';

/** v2 lets a spec's skill carry the parameters it was installed with; a v1 spec is a v2 spec without any. */
const sameData = (data: Record<string, unknown>) => data;

/** Older instance event versions, read as the current ones. */
export const instanceUpcasters: Upcasters = {
  'instance.deploy_requested': { 1: sameData },
  'instance.spec_changed': { 1: sameData },
};
