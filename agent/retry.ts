/** When a failed call to Bosun is worth repeating, and how long to wait before it. */

export type RetryPolicy = {
  /** Tries in all, the first included. @defaultValue 8 */
  readonly attempts: number;
  /** Wait before the first retry, doubled for each later one. @defaultValue 250 */
  readonly baseDelayMs: number;
  /** Longest wait between two tries. @defaultValue 10000 */
  readonly maxDelayMs: number;
};

export const defaultRetryPolicy: RetryPolicy = { attempts: 8, baseDelayMs: 250, maxDelayMs: 10_000 };

/** A server asking for more than this is waited for this long, then asked again. */
const maxRetryAfterMs = 60_000;

export const isTransientStatus = (status: number): boolean => status === 429 || status >= 500;

/** Capped exponential backoff with jitter, so a fleet of agents does not retry in step. */
export const backoffDelayMs = (policy: RetryPolicy, retry: number): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return ceiling / 2 + Math.random() * (ceiling / 2);
};

/** `Retry-After` in seconds or as an HTTP date; null when absent or unreadable. */
export const retryAfterMs = (header: string | null, now = Date.now()): number | null => {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now;
  if (Number.isNaN(ms)) return null;
  return Math.min(Math.max(ms, 0), maxRetryAfterMs);
};
