import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';

export type RequestScope = { readonly requestId: string };

const storage = new AsyncLocalStorage<RequestScope>();

/** The request being served, for log lines written anywhere below the handler. */
export const currentRequest = (): RequestScope | undefined => storage.getStore();

const validRequestId = /^[\w.:-]{1,128}$/;

/** Echoes a sane client `X-Request-Id`, else makes one; every response carries it. */
export const requestId = () => async (ctx: Context, next: Next) => {
  const offered = ctx.get('X-Request-Id');
  const id = validRequestId.test(offered) ? offered : `req_${randomUUID()}`;
  ctx.state.requestId = id;
  ctx.set('X-Request-Id', id);
  await storage.run({ requestId: id }, next);
};
