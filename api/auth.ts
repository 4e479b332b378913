import type { Context, Next } from 'koa';
import { LRUCache } from 'lru-cache';
import { hashSecret } from '../commands/secrets.js';
import type { Role } from '../domain/team/events.js';
import type { ApiKeyUsage } from '../processes/api-key-usage.js';
import { findActiveKey } from '../projections/access/api-key-projector.js';
import type { ReadStore } from '../projections/read-store.js';
import { ApiError } from './errors.js';

/** The caller, as established by its API key. */
export type Principal = {
  readonly tenant: string;
  readonly keyId: string;
  readonly role: Role;
  /** Admins of the system team (created at first start) may create other teams. */
  readonly systemTeam: boolean;
};

const presentedKey = (ctx: Context): string | null => {
  const authorization = ctx.get('Authorization');
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match?.[1]) throw new ApiError('authentication_error', 'malformed_authorization', 'Authorization must be "Bearer <api key>"');
    return match[1];
  }
  return ctx.get('X-Api-Key') || null;
};

/** Hashes of recently presented keys: a client sends the same key on every request. */
const recentHashes = new LRUCache<string, string>({ max: 10_000 });

const hashOf = (key: string): string => {
  let hash = recentHashes.get(key);
  if (hash === undefined) recentHashes.set(key, (hash = hashSecret(key)));
  return hash;
};

export type AuthenticationDeps = {
  readonly lookups: ReadStore;
  readonly now: () => Date;
  /** Counts each authenticated request against its key, in process (see processes/api-key-usage.ts). */
  readonly usage: Pick<ApiKeyUsage, 'record'>;
};

export const authenticate = (deps: AuthenticationDeps) => async (ctx: Context, next: Next) => {
  const key = presentedKey(ctx);
  if (!key) {
    throw new ApiError('authentication_error', 'missing_api_key', 'send an API key as "Authorization: Bearer <key>" or "X-Api-Key"');
  }
  // Revocation, expiry and grace periods still apply at once: only the hash is remembered, the key is looked up every time.
  const now = deps.now();
  const found = await findActiveKey(deps.lookups, hashOf(key), now);
  if ('refused' in found) throw new ApiError('authentication_error', found.refused, found.message);
  const principal: Principal = { tenant: found.team.id, keyId: found.key.key_id, role: found.key.role, systemTeam: found.team.system };
  ctx.state.principal = principal;
  deps.usage.record(principal.tenant, principal.keyId, now);
  await next();
};

export const principalOf = (ctx: Context): Principal => {
  const principal = ctx.state.principal as Principal | undefined;
  if (!principal) throw new Error('route is not behind authenticate()');
  return principal;
};
