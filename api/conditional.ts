import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';
import { collectionOf } from './ownership.js';
import type { BosunState } from './state.js';

/**
 * Resources whose writes take If-Match: the revision in their representation (and ETag)
 * is the one their commands check (a drift event's is that of its own last event in the
 * drift stream it shares, see `executeDriftAction`).
 */
export const matchableCollections: readonly string[] = ['tasks', 'instances', 'alerts', 'drift-events'];

/** The entity tag of a representation at `revision`: strong, as a revision's representation never changes. */
const entityTag = (revision: number): string => `"${revision}"`;

/**
 * The revision named by If-Match on a write to one resource, if any. Only a single strong
 * tag of a revision is understood; `*` asks only that the resource exist, which the route's
 * ownership check has established.
 */
export const expectedRevisionOf = (ctx: Context): number | undefined => {
  const raw = ctx.get('If-Match').trim();
  if (raw === '' || raw === '*') return undefined;
  const state = ctx.state as BosunState;
  if (state.id === undefined || !matchableCollections.includes(collectionOf(ctx._matchedRoute))) {
    throw new ApiError('invalid_request_error', 'if_match_unsupported', `If-Match is not supported on ${ctx.method} ${String(ctx._matchedRoute ?? ctx.path)}`, {
      param: 'If-Match',
    });
  }
  const match = /^"(\d+)"$/.exec(raw);
  if (!match) throw new ApiError('invalid_request_error', 'invalid_field', 'If-Match must be one entity tag as ETag gave it, e.g. "3"', { param: 'If-Match' });
  return Number(match[1]);
};

/**
 * ETag on every answer that is one resource at a revision (reads and writes alike, so a
 * client can send it back as If-Match), and 304 for a GET whose If-None-Match has it.
 */
export const entityTags = () => async (ctx: Context, next: Next) => {
  await next();
  const body = ctx.body as { revision?: unknown } | null | undefined;
  if ((ctx.state as BosunState).id === undefined || ctx.status >= 300 || typeof body?.revision !== 'number') return;
  const tag = entityTag(body.revision);
  ctx.set('ETag', tag);
  // Evaluated here rather than by ctx.fresh, which gives up on a request's Cache-Control:
  // no-cache (fetch sends it with If-None-Match); that header speaks to caches, not to us.
  if (ctx.method === 'GET' && !(ctx.state as BosunState).live && noneMatch(ctx.get('If-None-Match'), tag)) ctx.status = 304;
};

/** Whether an If-None-Match list names `tag` (weak comparison, as RFC 9110 asks for it). */
const noneMatch = (header: string, tag: string): boolean =>
  header.trim() === '*' || header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === tag);
