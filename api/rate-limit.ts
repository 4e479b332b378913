import type { Context, Next } from 'koa';
import { principalOf } from './auth.js';
import { ApiError } from './errors.js';

export type RateLimitOptions = {
  /** Sustained requests per second per API key. */
  readonly perSecond: number;
  /** Requests a key may make at once after being idle. @defaultValue 2 × perSecond */
  readonly burst?: number;
};

type Bucket = { tokens: number; updatedAt: number };

/**
 * A token bucket per API key; every answer tells the caller where it stands:
 * `X-RateLimit-Limit` is the bucket's size (the burst, twice the sustained rate by
 * default), `X-RateLimit-Remaining` the requests it may make right now, `X-RateLimit-Reset`
 * the Unix time in seconds at which the bucket is full again, and `RateLimit-Policy`
 * (IETF draft) the quota as `<limit>;w=<seconds>`: the sustained rate is limit / w.
 */
export const rateLimit = (options: RateLimitOptions, now: () => number = Date.now) => {
  const capacity = options.burst ?? options.perSecond * 2;
  const buckets = new Map<string, Bucket>();
  const policy = `${capacity};w=${+(capacity / options.perSecond).toFixed(3)}`;
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
      'RateLimit-Policy': policy,
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
