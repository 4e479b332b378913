import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { createTeam, deleteApiKey, issueApiKey, renameApiKey, renameTeam, revokeApiKey, rotateApiKey } from '../../commands/teams.js';
import type { Role } from '../../domain/team/events.js';
import { teamStream } from '../../events/streams.js';
import { teamCollection, type TeamView } from '../../projections/access/access-projector.js';
import { apiKeyCollection, type ApiKeyView } from '../../projections/access/api-key-projector.js';
import { recentUsage } from '../../projections/access/api-key-usage.js';
import type { ReadStore } from '../../projections/read-store.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { ApiError, notFound } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { listBody, pageFromQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { createApiKeyBody, createTeamBody, renameBody, rotateApiKeyBody } from '../schemas.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';

export type AccessRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
};

export const presentTeam = (team: TeamView) => ({ object: 'team' as const, id: team.id, name: team.name, system: team.system, created_at: team.created_at });

export const presentKey = (key: ApiKeyView) => ({
  object: 'api_key' as const,
  id: key.key_id,
  name: key.name,
  role: key.role,
  prefix: key.key_prefix,
  revoked: key.revoked,
  created_at: key.created_at,
  expires_at: key.expires_at,
  rotated_at: key.rotated_at,
});

/** Days of use shown with a key, newest first. */
const usageDays = 30;

/** A key with its use, as counted up to the last flush of the counts (processes/api-key-usage.ts). */
const presentKeyWithUsage = async (readStore: ReadStore, key: ApiKeyView) => {
  const days = await recentUsage(readStore, key.tenant, key.key_id, usageDays);
  return {
    ...presentKey(key),
    last_used_at: days[0]?.last_used_at ?? null,
    requests_per_day: days.map((day) => ({ date: day.day, requests: day.requests })),
  };
};

const validateTeam = validator<{ name: string }>(createTeamBody);
const validateKey = validator<{ name: string; role: Role; expires_at?: string }>(createApiKeyBody);
const validateRename = validator<{ name: string }>(renameBody);
const validateRotate = validator<{ grace_seconds?: number }>(rotateApiKeyBody);

/**
 * A secret is shown once: a replayed key-issuing request answers 409 rather than a
 * body without the key that a client could mistake for success.
 */
const noSecretReplay: Replay = async () => {
  throw new ApiError(
    'conflict_error',
    'secret_already_shown',
    'this Idempotency-Key already issued an API key; its secret was shown once and cannot be shown again',
  );
};

/** Adds the routes to `router`: one flat router matches a path once, where nested ones matched it again. */
export const accessRoutes = (router: Router<BosunState>, deps: AccessRoutesDeps): void => {
  /** What a keyed request wrote, for the idempotency middleware to remember. */
  const appendedTo = (stream: string, result: { revision: number; position: number; occurredAt: string | null }): Appended => ({
    stream,
    revision: result.revision,
    position: result.position,
    // The events' own time, so the record equals what the idempotency projector derives from them.
    occurredAt: result.occurredAt ?? deps.commands.env.now().toISOString(),
  });

  router.post('/teams', allow('POST /api/v1/teams'), deps.idempotent(noSecretReplay), async (ctx) => {
    const { name } = validateTeam(ctx.request.body);
    const created = await createTeam(deps.commands, commandContextOf(ctx), { name, system: false });
    ctx.state.appended = appendedTo(teamStream(created.teamId), created);
    ctx.status = 201;
    ctx.body = {
      object: 'team',
      id: created.teamId,
      name,
      admin_key: { object: 'api_key', id: created.issued.keyId, name: created.issued.name, role: created.issued.role, key: created.issued.key },
      revision: created.revision,
      position: created.position,
    };
  });

  router.post('/api-keys', allow('POST /api/v1/api-keys'), deps.idempotent(noSecretReplay), async (ctx) => {
    const principal = principalOf(ctx);
    const request = validateKey(ctx.request.body);
    const result = await issueApiKey(deps.commands, commandContextOf(ctx), { name: request.name, role: request.role, expiresAt: request.expires_at ?? null });
    ctx.state.appended = appendedTo(teamStream(principal.tenant), result);
    ctx.status = 201;
    ctx.body = {
      object: 'api_key',
      id: result.issued.keyId,
      name: result.issued.name,
      role: result.issued.role,
      key: result.issued.key,
      expires_at: result.issued.expiresAt,
      revision: result.revision,
      position: result.position,
    };
  });

  router.get('/api-keys', allow('GET /api/v1/api-keys'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const page = pageFromQuery(ctx);
    const keys = await apiKeyCollection(deps.readStore).list({ tenant, deleted: false }, { ...page, limit: page.limit + 1 });
    const body = listBody(keys, page, (key) => key);
    ctx.body = { ...body, data: await Promise.all(body.data.map((key) => presentKeyWithUsage(deps.readStore, key))) };
  });

  /** The key `:id` names, unless deleted (ownership has been checked). */
  const keyOf = async (ctx: Parameters<Middleware>[0]): Promise<ApiKeyView> => {
    const keyId = resourceId(ctx);
    const key = await apiKeyCollection(deps.readStore).get(keyId);
    if (!key || key.deleted) throw notFound('API key', keyId);
    return key;
  };

  router.get('/api-keys/:id', allow('GET /api/v1/api-keys/:id'), deps.consistent, async (ctx) => {
    ctx.body = await presentKeyWithUsage(deps.readStore, await keyOf(ctx));
  });

  // A PATCH names the state wanted: repeating it changes nothing more, so it needs no Idempotency-Key.
  router.patch('/api-keys/:id', allow('PATCH /api/v1/api-keys/:id'), async (ctx) => {
    const { name } = validateRename(ctx.request.body);
    const key = await keyOf(ctx);
    const result = await renameApiKey(deps.commands, commandContextOf(ctx), key.key_id, name);
    ctx.body = { ...presentKey({ ...key, name }), revision: result.revision, position: result.position };
  });

  router.delete('/api-keys/:id', allow('DELETE /api/v1/api-keys/:id'), async (ctx) => {
    const principal = principalOf(ctx);
    const keyId = resourceId(ctx);
    if (keyId === principal.keyId) {
      throw new ApiError('invalid_request_error', 'cannot_delete_self', 'an API key cannot delete itself', { param: 'id' });
    }
    const result = await deleteApiKey(deps.commands, commandContextOf(ctx), keyId);
    ctx.body = { object: 'api_key', id: keyId, deleted: true, revision: result.revision, position: result.position };
  });

  router.post('/api-keys/:id/rotate', allow('POST /api/v1/api-keys/:id/rotate'), deps.idempotent(noSecretReplay), async (ctx) => {
    const { tenant } = principalOf(ctx);
    const keyId = resourceId(ctx);
    const { grace_seconds: graceSeconds } = validateRotate(ctx.request.body ?? {});
    const result = await rotateApiKey(deps.commands, commandContextOf(ctx), keyId, graceSeconds);
    ctx.state.appended = appendedTo(teamStream(tenant), result);
    ctx.body = {
      object: 'api_key',
      id: keyId,
      key: result.key,
      prefix: result.key.slice(0, 8),
      previous_valid_until: result.previousValidUntil,
      revision: result.revision,
      position: result.position,
    };
  });

  router.post(
    '/api-keys/:id/revoke',
    allow('POST /api/v1/api-keys/:id/revoke'),
    deps.idempotent(async (ctx) => {
      ctx.status = 200;
      ctx.body = { object: 'api_key', id: resourceId(ctx), revoked: true };
    }),
    async (ctx) => {
      const principal = principalOf(ctx);
      const keyId = resourceId(ctx);
      if (keyId === principal.keyId) {
        throw new ApiError('invalid_request_error', 'cannot_revoke_self', 'an API key cannot revoke itself', { param: 'id' });
      }
      const result = await revokeApiKey(deps.commands, commandContextOf(ctx), keyId);
      ctx.state.appended = appendedTo(teamStream(principal.tenant), result);
      ctx.body = { object: 'api_key', id: keyId, revoked: true, revision: result.revision, position: result.position };
    },
  );

  router.get('/team', allow('GET /api/v1/team'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const team = await teamCollection(deps.readStore).get(tenant);
    if (!team) throw notFound('team', tenant);
    ctx.body = presentTeam(team);
  });

  router.get('/me', allow('GET /api/v1/me'), deps.consistent, async (ctx) => {
    const { tenant, keyId, role } = principalOf(ctx);
    const [key, team] = await Promise.all([apiKeyCollection(deps.readStore).get(keyId), teamCollection(deps.readStore).get(tenant)]);
    // Authentication has just read both.
    if (!key || !team) throw notFound('API key', keyId);
    ctx.body = {
      object: 'identity',
      role,
      api_key: { object: 'api_key', id: key.key_id, name: key.name, role: key.role, prefix: key.key_prefix, expires_at: key.expires_at },
      team: presentTeam(team),
    };
  });

  const presentTeamWithKeys = async (team: TeamView) => ({
    ...presentTeam(team),
    api_key_count: await apiKeyCollection(deps.readStore).count({ tenant: team.id, deleted: false }),
  });

  router.get('/teams', allow('GET /api/v1/teams'), deps.consistent, async (ctx) => {
    const page = pageFromQuery(ctx);
    const teams = await teamCollection(deps.readStore).list({}, { ...page, limit: page.limit + 1 });
    const body = listBody(teams, page, (team) => team);
    ctx.body = { ...body, data: await Promise.all(body.data.map(presentTeamWithKeys)) };
  });

  router.patch('/teams/:id', allow('PATCH /api/v1/teams/:id'), async (ctx) => {
    const teamId = resourceId(ctx);
    const { name } = validateRename(ctx.request.body);
    const result = await renameTeam(deps.commands, commandContextOf(ctx), teamId, name);
    const team = await teamCollection(deps.readStore).get(teamId);
    if (!team) throw notFound('team', teamId);
    ctx.body = { ...(await presentTeamWithKeys({ ...team, name })), revision: result.revision, position: result.position };
  });
};
