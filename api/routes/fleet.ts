import Router from '@koa/router';
import { makeBadge } from 'badge-maker';
import type { Context, Middleware } from 'koa';
import { securityScore, type SecurityScore } from '../../domain/fleet/security-score.js';
import type { AgentHeartbeats } from '../../processes/agent-heartbeats.js';
import { teamCollection } from '../../projections/access/access-projector.js';
import { fleetStats, securityInputs } from '../../projections/fleet/fleet-queries.js';
import { instanceCollection } from '../../projections/instances/instance-projector.js';
import { getInstance } from '../../projections/instances/instance-queries.js';
import type { InstanceView } from '../../projections/instances/instance-view.js';
import type { ReadStore } from '../../projections/read-store.js';
import { principalOf } from '../auth.js';
import { notFound } from '../errors.js';
import { fleetStatsQuery, fleetWindows, type FleetWindow } from '../fleet-schemas.js';
import { resourceId } from '../ownership.js';
import { allow } from '../permissions.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';

export type FleetRoutesDeps = {
  readonly readStore: ReadStore;
  /** Where team policies are current without lag: whether a team publishes its badges. */
  readonly lookups: ReadStore;
  readonly heartbeats: Pick<AgentHeartbeats, 'missedHeartbeats'>;
  readonly providers: readonly string[];
  readonly now: () => Date;
  readonly consistent: Middleware;
};

const validateStatsQuery = validator<{ window?: FleetWindow }>(fleetStatsQuery);

const scoreOf = async (deps: FleetRoutesDeps, instance: InstanceView) =>
  securityScore(await securityInputs(deps.readStore, instance, deps.heartbeats.missedHeartbeats(instance.id)));

const presentScore = (instance: InstanceView, score: SecurityScore, now: Date) => ({
  object: 'security_score' as const,
  instance_id: instance.id,
  ...score,
  computed_at: now.toISOString(),
});

/** Shields.io's colour steps, so the badge reads like others beside it. */
const colourOf = (score: number): string => (score >= 90 ? 'brightgreen' : score >= 75 ? 'green' : score >= 60 ? 'yellow' : score >= 40 ? 'orange' : 'red');

/** `GET /fleet/stats` and an instance's security score, for the team's keys. */
export const fleetRoutes = (router: Router<BosunState>, deps: FleetRoutesDeps): void => {
  router.get('/fleet/stats', allow('GET /api/v1/fleet/stats'), deps.consistent, async (ctx) => {
    const { window = '24h' } = validateStatsQuery({ ...ctx.query });
    const now = deps.now();
    const since = new Date(now.getTime() - fleetWindows[window] * 1000).toISOString();
    const stats = await fleetStats(deps.readStore, principalOf(ctx).tenant, deps.providers, since);
    ctx.body = { object: 'fleet_stats', window, ...stats, computed_at: now.toISOString() };
  });

  router.get('/instances/:id/security-score', allow('GET /api/v1/instances/:id/security-score'), deps.consistent, async (ctx) => {
    const instance = await getInstance(deps.readStore, principalOf(ctx).tenant, resourceId(ctx));
    if (!instance) throw notFound('instance', resourceId(ctx));
    ctx.body = presentScore(instance, await scoreOf(deps, instance), deps.now());
  });
};

/**
 * The security-score badge, readable without a key when the instance's team publishes its
 * badges; otherwise, or for an unknown id, 404, so nothing tells an instance exists.
 * Its own router: the API router's `:id` checks ownership by a key, which this has none of.
 */
export const badgeRoutes = (deps: FleetRoutesDeps): Router<BosunState> => {
  const router = new Router<BosunState>({ prefix: '/api/v1/badges' });
  const publishedScore = async (ctx: Context) => {
    const id = String(ctx.params.id);
    const instance = await instanceCollection(deps.readStore).get(id);
    const team = instance ? await teamCollection(deps.lookups).get(instance.tenant) : null;
    if (!instance || !team?.public_badges) throw notFound('badge', id);
    // Shields and README renderers poll: a few minutes' staleness is what they expect.
    ctx.set('Cache-Control', 'public, max-age=300');
    return scoreOf(deps, instance);
  };
  router.get('/instances/:id/security-score.svg', allow('GET /api/v1/badges/instances/:id/security-score.svg'), async (ctx) => {
    const { score, grade } = await publishedScore(ctx);
    ctx.type = 'image/svg+xml';
    ctx.body = makeBadge({ label: 'security', message: `${score} ${grade}`, color: colourOf(score) });
  });
  router.get('/instances/:id/security-score.json', allow('GET /api/v1/badges/instances/:id/security-score.json'), async (ctx) => {
    const { score, grade } = await publishedScore(ctx);
    // The shields.io endpoint schema: https://shields.io/badges/endpoint-badge
    ctx.body = { schemaVersion: 1, label: 'security', message: `${score} ${grade}`, color: colourOf(score) };
  });
  return router;
};
