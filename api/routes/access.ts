import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { createTeam, issueApiKey, revokeApiKey } from '../../commands/teams.js';
import type { Role } from '../../domain/team/events.js';
import { teamStream } from '../../events/streams.js';
import { apiKeyCollection, teamCollection, type ApiKeyView, type TeamView } from '../../projections/access/access-projector.js';
import type { ReadStore } from '../../projections/read-store.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { ApiError, notFound } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { listBody, pageFromQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { createApiKeyBody, createTeamBody } from '../schemas.js';
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
});

const validateTeam = validator<{ name: string }>(createTeamBody);
const validateKey = validator<{ name: string; role: Role }>(createApiKeyBody);

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
    const result = await issueApiKey(deps.commands, commandContextOf(ctx), request);
    ctx.state.appended = appendedTo(teamStream(principal.tenant), result);
    ctx.status = 201;
    ctx.body = {
      object: 'api_key',
      id: result.issued.keyId,
      name: result.issued.name,
      role: result.issued.role,
      key: result.issued.key,
      revision: result.revision,
      position: result.position,
    };
  });

  router.get('/api-keys', allow('GET /api/v1/api-keys'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const page = pageFromQuery(ctx);
    const keys = await apiKeyCollection(deps.readStore).list({ tenant }, { ...page, limit: page.limit + 1 });
    ctx.body = listBody(keys, page, presentKey);
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
};
