import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';
import { principalOf } from './auth.js';

export type RateLimitOptions = {
  /** Sustained requests per second per API key. */
  readonly perSecond: number;
  /** Requests a key may make at once after being idle. @defaultValue 2 × perSecond */
  readonly burst?: number;
};

type Bucket = { tokens: number; updatedAt: number };

/** A token bucket per API key; every answer tells the caller where it stands. */
export const rateLimit = (options: RateLimitOptions, now: () => number = Date.now) => {
  const capacity = options.burst ?? options.perSecond * 2;
  const buckets = new Map<string, Bucket>();
  return async (ctx: Context, next: Next) => {
    const key = principalOf(ctx).keyId;
    const at = now();
    const bucket = buckets.get(key) ?? { tokens: capacity, updatedAt: at };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((at - bucket.updatedAt) / 1000) * options.perSecond);
    bucket.updatedAt = at;
    buckets.set(key, bucket);
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    const secondsToFull = Math.ceil((capacity - bucket.tokens) / options.perSecond);
    ctx.set({
      'X-RateLimit-Limit': String(capacity),
      'X-RateLimit-Remaining': String(Math.floor(bucket.tokens)),
      'X-RateLimit-Reset': String(Math.ceil(at / 1000) + secondsToFull),
    });
    if (!allowed) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / options.perSecond));
      throw new ApiError('rate_limit_error', 'rate_limited', `too many requests for this API key; retry in ${retryAfter} s`, {
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
    await next();
  };
};
