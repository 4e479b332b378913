import type { Context, Next } from 'koa';
import type { RefusalReason } from '../domain/audit/index.js';
import type { AccessRefusals } from '../processes/access-refusals.js';
import { ApiError } from './errors.js';
import { routeTemplate } from './http-metrics.js';
import type { BosunState } from './state.js';

const unauthenticated: readonly string[] = ['missing_api_key', 'malformed_authorization', 'invalid_api_key', 'expired_api_key'] satisfies RefusalReason[];

/**
 * Hands every refused request of the keyed API to {@link AccessRefusals}: 401 (no key, a
 * malformed or unknown one), 403 (the role), 404 on an `:id` that is not the caller's
 * team's. Runs before authentication; the refusal itself goes on to the error handler.
 */
export const auditRefusals = (refusals: Pick<AccessRefusals, 'record'>) => async (ctx: Context, next: Next) => {
  try {
    await next();
  } catch (error) {
    if (error instanceof ApiError) {
      const state = ctx.state as BosunState;
      const source = {
        method: ctx.method,
        // The template, never the URL: one source per route, whatever ids are tried.
        route: routeTemplate(ctx),
        clientIp: ctx.ip || null,
        userAgent: ctx.get('User-Agent') || null,
        requestId: state.requestId ?? '',
      };
      if (error.type === 'authentication_error' && unauthenticated.includes(error.code)) {
        refusals.record({ ...source, tenant: null, keyId: null, status: 401, reason: error.code as RefusalReason });
      } else if (state.principal && error.type === 'permission_error' && error.code === 'insufficient_role') {
        refusals.record({ ...source, tenant: state.principal.tenant, keyId: state.principal.keyId, status: 403, reason: 'insufficient_role' });
      } else if (state.principal && state.notOwned) {
        refusals.record({ ...source, tenant: state.principal.tenant, keyId: state.principal.keyId, status: 404, reason: 'not_found' });
      }
    }
    throw error;
  }
};
