import { setTimeout as wait } from 'node:timers/promises';

/** Waits `ms`, or less when `signal` aborts; never rejects, so loops simply check the signal next. */
export const pause = async (ms: number, signal: AbortSignal): Promise<void> => {
  try {
    await wait(ms, undefined, { signal });
  } catch {
    // Aborted: the caller is stopping.
  }
};
