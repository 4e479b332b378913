import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Context, Next } from 'koa';
import type { CommandContext } from '../commands/command-context.js';
import { idempotencyCollection, idempotencyId, recordIdempotency, type IdempotencyRecord } from '../projections/idempotency/idempotency-projector.js';
import type { ReadStore } from '../projections/read-store.js';
import { principalOf } from './auth.js';
import { ApiError } from './errors.js';

/** How long a key's first answer is replayed. */
const keyLifetimeMs = 24 * 60 * 60 * 1000;
const validKey = /^[\x21-\x7e]{1,255}$/;

/** What a keyed write leaves for the middleware to remember (set by the handler). */
export type Appended = { readonly stream: string; readonly revision: number; readonly position: number; readonly occurredAt: string };

/** Rebuilds the first answer of a keyed request from what it appended. */
export type Replay = (ctx: Context, record: IdempotencyRecord) => Promise<void>;

/**
 * What makes two requests the same: method, path and the body in RFC 8785 canonical form,
 * so that the same JSON with its keys in another order is the same request. Prefixed, as
 * records written before the canonical form hashed the body as it came.
 */
const requestHash = (ctx: Context): string =>
  `jcs:${createHash('sha256')
    .update(`${ctx.method} ${ctx.path}\n${canonicalize(ctx.request.body ?? null)}`)
    .digest('hex')}`;

const asFirstHashed = (ctx: Context, recorded: string): string =>
  recorded.startsWith('jcs:')
    ? requestHash(ctx)
    : createHash('sha256')
        .update(`${ctx.method} ${ctx.path}\n${JSON.stringify(ctx.request.body ?? null)}`)
        .digest('hex');

/**
 * `Idempotency-Key` on a POST: the same key and body within 24 h replays the first
 * answer with `Idempotency-Replayed: true`; the same key with another body is a 409.
 * Concurrent requests with one key run one at a time. Requests that failed appended
 * nothing, so they are simply tried again.
 */
export const idempotency = (readStore: ReadStore, now: () => Date) => {
  const inFlight = new Map<string, Promise<unknown>>();
  return (replay: Replay) => async (ctx: Context, next: Next) => {
    const key = ctx.get('Idempotency-Key');
    if (!key) return next();
    if (!validKey.test(key)) {
      throw new ApiError('invalid_request_error', 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters', {
        param: 'Idempotency-Key',
      });
    }
    const principal = principalOf(ctx);
    const id = idempotencyId(principal.tenant, principal.keyId, key);
    while (inFlight.has(id)) await inFlight.get(id)?.catch(() => undefined);
    const run = (async () => {
      const hash = requestHash(ctx);
      const record = await idempotencyCollection(readStore).get(id);
      if (record && now().getTime() - Date.parse(record.occurred_at) < keyLifetimeMs) {
        if (record.request_hash !== asFirstHashed(ctx, record.request_hash)) {
          throw new ApiError('conflict_error', 'idempotency_key_reused', 'this Idempotency-Key was used with a different request', {
            param: 'Idempotency-Key',
          });
        }
        await replay(ctx, record);
        ctx.set('Idempotency-Replayed', 'true');
        return;
      }
      ctx.state.idempotency = { key, requestHash: hash } satisfies CommandContext['idempotency'];
      await next();
      const appended = ctx.state.appended as Appended | undefined;
      if (appended) {
        await recordIdempotency(readStore, {
          tenant: principal.tenant,
          actorId: principal.keyId,
          key,
          requestHash: hash,
          ...appended,
        });
      }
    })();
    inFlight.set(id, run);
    try {
      await run;
    } finally {
      inFlight.delete(id);
    }
  };
};
