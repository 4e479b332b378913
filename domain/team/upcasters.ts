import type { Upcasters } from '../shared/upcasting.js';

/** Older team event versions, read as the current ones. */
export const teamUpcasters: Upcasters = {
  'team.api_key_issued': {
    // v1 predates expiry: such a key works until revoked.
    1: (data) => ({ ...data, expires_at: null }),
  },
};
