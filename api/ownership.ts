import type { RouterParameterMiddleware } from '@koa/router';
import type { Context } from 'koa';
import { LRUCache } from 'lru-cache';
import type { EventStore } from '../events/event-store.js';
import { alertRuleStream, alertStream, instanceStream, taskStream, teamStream, webhookStream } from '../events/streams.js';
import { driftCollection } from '../projections/drift/drift-projector.js';
import type { ReadStore } from '../projections/read-store.js';
import { principalOf, type Principal } from './auth.js';
import { notFound } from './errors.js';
import type { BosunState } from './state.js';

export type OwnershipDeps = {
  readonly events: EventStore;
  /** Where the drift events are. */
  readonly readStore: ReadStore;
  /** How many streams' teams are remembered. @defaultValue 100,000 */
  readonly streamTeamsCached?: number;
};

/** `tasks` for the matched route `/api/v1/tasks/...`: the collection a route's `:id` names. */
export const collectionOf = (matchedRoute: unknown): string => String(matchedRoute ?? '').split('/')[3] ?? '';

type Owner = { readonly what: string; readonly owns: (caller: Principal, id: string) => Promise<boolean> };

/**
 * `router.param('id', ...)` of the API: before anything else of a route runs, the resource
 * its `:id` names must be the caller's team's, else 404 (whatever the caller's role: a 403
 * would tell that the id exists elsewhere). Streams are asked where the resource has one, so
 * a resource written a moment ago counts; drift events live inside their instance's stream
 * and are found in the read model, as their routes read them. The id checked is left in
 * `ctx.state.id`.
 */
export const ownedResource = (deps: OwnershipDeps): RouterParameterMiddleware<BosunState> => {
  // A stream's team is its first event's, which never changes: once read it is remembered.
  // A stream not found is not, as it may be written the next moment.
  const teamOfStream = new LRUCache<string, string>({ max: deps.streamTeamsCached ?? 100_000 });
  const streamOf = async (tenant: string, stream: string) => {
    let team = teamOfStream.get(stream);
    if (team === undefined) {
      team = (await deps.events.readStream(stream, { maxCount: 1 }))[0]?.tenant;
      if (team !== undefined) teamOfStream.set(stream, team);
    }
    return team === tenant;
  };
  const owners: Readonly<Record<string, Owner>> = {
    tasks: { what: 'task', owns: ({ tenant }, id) => streamOf(tenant, taskStream(id)) },
    instances: { what: 'instance', owns: ({ tenant }, id) => streamOf(tenant, instanceStream(id)) },
    alerts: { what: 'alert', owns: ({ tenant }, id) => streamOf(tenant, alertStream(id)) },
    webhooks: { what: 'webhook', owns: ({ tenant }, id) => streamOf(tenant, webhookStream(id)) },
    'alert-rules': { what: 'alert rule', owns: ({ tenant }, id) => streamOf(tenant, alertRuleStream(id)) },
    'drift-events': { what: 'drift event', owns: async ({ tenant }, id) => (await driftCollection(deps.readStore).get(id))?.tenant === tenant },
    // A key is its team's if the team's stream issued it.
    'api-keys': {
      what: 'API key',
      owns: async ({ tenant }, id) =>
        (await deps.events.readStream(teamStream(tenant))).some(
          (event) => event.type === 'team.api_key_issued' && (event.data as { key_id: string }).key_id === id,
        ),
    },
    // Every team is the system team's admins' to manage; any other caller has its own team only.
    teams: {
      what: 'team',
      owns: async ({ tenant, systemTeam, role }, id) => ((systemTeam && role === 'admin') || id === tenant) && (await streamOf(id, teamStream(id))),
    },
  };
  return async (id, ctx, next) => {
    const collection = collectionOf(ctx._matchedRoute);
    const owner = owners[collection];
    if (!owner) throw new Error(`no owner lookup for :id under /${collection}`);
    if (!(await owner.owns(principalOf(ctx), id))) {
      ctx.state.notOwned = true;
      throw notFound(owner.what, id);
    }
    ctx.state.id = id;
    return next();
  };
};

/** The `:id` of the route, checked to be the caller's by its router (API keys: {@link ownedResource}; agents: their own tasks). */
export const resourceId = (ctx: Pick<Context, 'state'>): string => {
  const id = (ctx.state as BosunState).id;
  if (id === undefined) throw new Error('the route has no :id checked by ownedResource');
  return id;
};
