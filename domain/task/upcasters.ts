import type { Upcasters } from '../shared/upcasting.js';

/** Older task event versions, read as the current ones. */
export const taskUpcasters: Upcasters = {
  'task.submitted': {
    // v1 predates retries: such a task runs once.
    1: (data) => ({ ...data, max_attempts: 1, retry_backoff_seconds: 0 }),
    // v2 predates callbacks and reruns: such a task has no callback and was submitted, not rerun.
    2: (data) => ({ ...data, callback_url: null, rerun_of: null }),
  },
};
