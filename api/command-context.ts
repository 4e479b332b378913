import type { Context } from 'koa';
import type { CommandContext } from '../commands/command-context.js';
import type { Actor } from '../events/event-store.js';
import { principalOf } from './auth.js';
import { expectedRevisionOf } from './conditional.js';

/** Everything an HTTP request tells about who is acting, for the events it causes. */
export const requestCommandContext = (ctx: Context, tenant: string, actor: Actor): CommandContext => {
  const requestId = ctx.state.requestId as string;
  const expectedRevision = expectedRevisionOf(ctx);
  return {
    tenant,
    actor,
    requestId,
    correlationId: ctx.get('X-Correlation-Id') || requestId,
    causationId: requestId,
    clientIp: ctx.ip || null,
    userAgent: ctx.get('User-Agent') || null,
    ...(ctx.state.idempotency ? { idempotency: ctx.state.idempotency } : {}),
    ...(expectedRevision !== undefined ? { expectedRevision } : {}),
  };
};

/** A request made with an API key acts as that key, in its team. */
export const commandContextOf = (ctx: Context): CommandContext => {
  const principal = principalOf(ctx);
  return requestCommandContext(ctx, principal.tenant, { type: 'api_key', id: principal.keyId });
};
