import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';

const validRequestId = /^[\w.:-]{1,128}$/;

/**
 * Echoes a sane client `X-Request-Id`, else makes one; every response carries it, and
 * handlers pass `ctx.state.requestId` to log lines and event metadata explicitly.
 * (AsyncLocalStorage would carry it implicitly, but on Node 20 its promise hooks cost
 * about 5% of a submit's CPU.)
 */
export const requestId = () => (ctx: Context, next: Next) => {
  const offered = ctx.get('X-Request-Id');
  const id = validRequestId.test(offered) ? offered : `req_${randomUUID()}`;
  ctx.state.requestId = id;
  ctx.set('X-Request-Id', id);
  return next();
};
