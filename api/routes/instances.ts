import type Router from '@koa/router';
import type { Context } from 'koa';
import { changeInstanceSpec, deployInstance, type DeployInstanceRequest } from '../../commands/instances.js';
import { operatorActionNames } from '../../domain/instance/index.js';
import { idOfStream } from '../../events/streams.js';
import {
  defaultSteps,
  lastHeartbeats,
  maxPoints,
  metricRanges,
  metricSteps,
  seriesOf,
  type MetricRange,
  type MetricStep,
} from '../../processes/instance-metrics.js';
import { getInstance, listInstances, type InstanceListFilter } from '../../projections/instances/instance-queries.js';
import type { InstanceView } from '../../projections/instances/instance-view.js';
import { pageOrder, withinPage } from '../../projections/read-query.js';
import type { Page } from '../../projections/read-store.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { ApiError, notFound } from '../errors.js';
import type { Replay } from '../idempotency.js';
import { mergeSpecPatch, type InstanceSpecPatch } from '../instance-spec-patch.js';
import { resourceId } from '../ownership.js';
import { listBody, sortedPageFromQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { presentInstance } from '../presenters.js';
import { deployInstanceBody, instanceMetricsQuery, instanceSorts, listInstancesQuery, patchInstanceBody } from '../schemas.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';
import { instanceActionRoutes } from './instance-actions.js';
import { appendedBy, instanceViews, type InstanceRoutesDeps } from './instance-views.js';

const presentLifecycle = (instance: InstanceView) => ({
  object: 'instance_lifecycle' as const,
  instance_id: instance.id,
  status: instance.status,
  pending: instance.pending,
  allowed_actions: instance.allowed_actions,
  all_actions: operatorActionNames,
});

const validateDeploy = validator<DeployInstanceRequest>(deployInstanceBody);
const validatePatch = validator<{ spec: InstanceSpecPatch }>(patchInstanceBody);
const validateMetricsQuery = validator<{ range?: MetricRange; step?: MetricStep }>(instanceMetricsQuery);
const validateListQuery = validator<InstanceListFilter & { sort?: string; limit?: string; cursor?: string; min_position?: string }>(listInstancesQuery);
/** Beyond this many matching instances, sorting by last heartbeat (joined in memory) is refused. */
const maxHeartbeatSorted = 10_000;

/** Adds the routes to `router`: one flat router matches a path once, where nested ones matched it again. */
export const instanceRoutes = (router: Router<BosunState>, deps: InstanceRoutesDeps): void => {
  const views = instanceViews(deps);

  const answer = (ctx: Context, status: number, view: InstanceView) => {
    ctx.status = status;
    ctx.body = presentInstance(view);
    ctx.state.appended = appendedBy(view);
  };

  const replayDeploy: Replay = async (ctx, record) => {
    const view = await views.asOf(idOfStream(record.stream), record.revision);
    ctx.status = 202;
    ctx.body = presentInstance(view);
    ctx.set('Location', `/api/v1/instances/${view.id}`);
  };

  router.post('/instances', allow('POST /api/v1/instances'), deps.idempotent(replayDeploy), async (ctx) => {
    const request = validateDeploy(ctx.request.body);
    if (!deps.providers.includes(request.provider)) {
      throw new ApiError('invalid_request_error', 'unknown_provider', `provider must be one of: ${deps.providers.join(', ')}`, { param: 'provider' });
    }
    const result = await deployInstance(deps.commands, commandContextOf(ctx), request);
    if (result.state.status === 'none') throw new Error('deploy decided nothing');
    answer(ctx, 202, await views.after(result.state.instanceId, result));
    ctx.set('Location', `/api/v1/instances/${result.state.instanceId}`);
  });

  /**
   * Last heartbeats are not in the read model (they are not events): the matching instances
   * are joined with the metrics store and paged in memory, with the read store's own order
   * and keyset, so a cursor means the same as on the other sorts.
   */
  const byLastHeartbeat = async (tenant: string, filter: InstanceListFilter, page: Page & { limit: number }) => {
    const matching = await listInstances(deps.readStore, tenant, filter, { limit: maxHeartbeatSorted + 1 });
    if (matching.length > maxHeartbeatSorted) {
      throw new ApiError(
        'invalid_request_error',
        'invalid_field',
        `sort by last_heartbeat_at takes up to ${maxHeartbeatSorted} matching instances; narrow the filter`,
        { param: 'sort' },
      );
    }
    const beats = await lastHeartbeats(
      deps.metrics,
      tenant,
      matching.map((instance) => instance.id),
    );
    // Never beating (or not within the retention window) compares as the lowest value.
    return matching
      .map((instance) => ({ ...instance, last_heartbeat_at: beats.get(instance.id) ?? '' }))
      .filter((instance) => withinPage(instance, page))
      .sort(pageOrder(page))
      .slice(0, page.limit + 1);
  };

  router.get('/instances', allow('GET /api/v1/instances'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const { sort: _sort, limit: _limit, cursor: _cursor, min_position: _minPosition, ...filter } = validateListQuery({ ...ctx.query });
    if (filter.provider !== undefined && !deps.providers.includes(filter.provider)) {
      throw new ApiError('invalid_request_error', 'invalid_field', `provider must be one of: ${deps.providers.join(', ')}`, { param: 'provider' });
    }
    const page = sortedPageFromQuery(ctx, instanceSorts);
    const instances =
      page.sort?.field === 'last_heartbeat_at'
        ? await byLastHeartbeat(tenant, filter, page)
        : await listInstances(deps.readStore, tenant, filter, { ...page, limit: page.limit + 1 });
    ctx.body = listBody<InstanceView & { last_heartbeat_at?: string }, ReturnType<typeof presentInstance>>(
      instances,
      page,
      ({ last_heartbeat_at: _at, ...view }) => presentInstance(view),
    );
  });

  const readInstance = async (ctx: Context): Promise<InstanceView> => {
    const { tenant } = principalOf(ctx);
    const instance = await getInstance(deps.readStore, tenant, resourceId(ctx));
    if (!instance) throw notFound('instance', resourceId(ctx));
    return instance;
  };

  router.get('/instances/:id', allow('GET /api/v1/instances/:id'), deps.consistent, async (ctx) => {
    const instance = await readInstance(ctx);
    const metrics = await deps.metrics.latestOf(instance.tenant, instance.id);
    ctx.body = { ...presentInstance(instance), metrics };
    // Metrics change between revisions; an instance that reports none is its revision alone.
    ctx.state.live = metrics !== null;
  });

  router.get('/instances/:id/metrics', allow('GET /api/v1/instances/:id/metrics'), deps.consistent, async (ctx) => {
    const query = validateMetricsQuery({ ...ctx.query });
    const range = query.range ?? '1h';
    const step = query.step ?? defaultSteps[range];
    const points = metricRanges[range] / metricSteps[step];
    if (points < 1 || points > maxPoints) {
      throw new ApiError(
        'invalid_request_error',
        'invalid_field',
        points < 1
          ? `step ${step} is longer than the range ${range}`
          : `step ${step} over ${range} makes ${points} points; at most ${maxPoints}: take a longer step`,
        { param: 'step' },
      );
    }
    const instance = await readInstance(ctx);
    const series = await seriesOf(deps.metrics, instance.tenant, instance.id, range, step, deps.commands.env.now().getTime());
    ctx.body = { object: 'instance_metrics', instance_id: instance.id, ...series };
  });

  router.get('/instances/:id/lifecycle', allow('GET /api/v1/instances/:id/lifecycle'), deps.consistent, async (ctx) => {
    ctx.body = presentLifecycle(await readInstance(ctx));
  });

  router.patch('/instances/:id', allow('PATCH /api/v1/instances/:id'), async (ctx) => {
    const { spec } = validatePatch(ctx.request.body);
    const instanceId = resourceId(ctx);
    // Merged with the spec the domain holds (secret values included), not the redacted view.
    const result = await changeInstanceSpec(deps.commands, commandContextOf(ctx), instanceId, (current) => mergeSpecPatch(current, spec));
    answer(ctx, 200, await views.after(instanceId, result));
  });

  instanceActionRoutes(router, deps);
};
