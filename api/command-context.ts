import type { Context } from 'koa';
import type { CommandContext } from '../commands/command-context.js';
import { principalOf } from './auth.js';

/** Everything an HTTP request tells about who is acting, for the events it causes. */
export const commandContextOf = (ctx: Context): CommandContext => {
  const principal = principalOf(ctx);
  const requestId = ctx.state.requestId as string;
  return {
    tenant: principal.tenant,
    actor: { type: 'api_key', id: principal.keyId },
    requestId,
    correlationId: ctx.get('X-Correlation-Id') || requestId,
    causationId: requestId,
    clientIp: ctx.ip || null,
    userAgent: ctx.get('User-Agent') || null,
    ...(ctx.state.idempotency ? { idempotency: ctx.state.idempotency } : {}),
  };
};
