import type { Upcasters } from '../shared/upcasting.js';

/** Older task event versions, read as the current ones. */
export const taskUpcasters: Upcasters = {
  'task.submitted': {
    // v1 predates retries: such a task runs once.
    1: (data) => ({ ...data, max_attempts: 1, retry_backoff_seconds: 0 }),
    // v2 predates reruns: such a task was submitted, not rerun.
    2: (data) => ({ ...data, rerun_of: null }),
  },
};
