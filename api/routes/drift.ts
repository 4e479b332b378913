import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { executeDriftAction } from '../../commands/drift.js';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import { driftCommandFor, type OperatorDriftAction, type Severity } from '../../domain/drift/index.js';
import { NotFoundError } from '../../domain/shared/errors.js';
import { driftStream } from '../../events/streams.js';
import { isActiveDrift } from '../../projections/drift/drift-projector.js';
import { getDrift, getDriftSummary, listDrifts, listSnapshots, type DriftSummary } from '../../projections/drift/drift-queries.js';
import { foldDriftView, type DriftView, type DriftViewStatus } from '../../projections/drift/drift-view.js';
import type { SnapshotView } from '../../projections/drift/snapshot-projector.js';
import { getInstance } from '../../projections/instances/instance-queries.js';
import type { ReadStore } from '../../projections/read-store.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { dismissDriftBody, driftActionBody, listDriftsQuery, snapshotsQuery } from '../drift-schemas.js';
import { ApiError, notFound } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { listBody, pageFromQuery } from '../pagination.js';
import { allow, type RouteKey } from '../permissions.js';
import { presentDrift } from '../presenters.js';
import { afterWrite, asOf, present, type ViewFold } from '../resource-views.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';

export type DriftRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
};

/** A snapshot is never changed: its revision tells nothing. */
export const presentSnapshot = ({ revision: _revision, ...snapshot }: SnapshotView) => present('configuration_snapshot', snapshot);
const presentSummary = ({ by_status, active_by_severity }: DriftSummary) => ({
  object: 'drift_summary' as const,
  by_status,
  active_by_severity,
  // An instance has at most one drift neither resolved nor dismissed.
  instances_drifting: by_status.open + by_status.remediating + by_status.escalated,
});

/** An instance's drift stream holds each of its drift events: the fold keeps the one asked for. */
const foldDrift =
  (driftId: string): ViewFold<DriftView> =>
  (history) =>
    foldDriftView(history, driftId);

const validateListQuery = validator<{ instance_id?: string; status?: DriftViewStatus; severity?: Severity }>(listDriftsQuery);
const validateSnapshotsQuery = validator<object>(snapshotsQuery);
const validateActionBody = validator<object>(driftActionBody);
const validateDismissBody = validator<{ reason: string }>(dismissDriftBody);

const noReason = (body: unknown): string => {
  validateActionBody(body);
  return '';
};

/** Each operator action: its path, the reason its body gives, and its answer's status (execute asks for a run that comes later). */
const actions: readonly { action: OperatorDriftAction; path: string; status: number; reasonOf: (body: unknown) => string }[] = [
  { action: 'approve', path: 'remediation/approve', status: 200, reasonOf: noReason },
  { action: 'execute', path: 'remediation/execute', status: 202, reasonOf: noReason },
  { action: 'dismiss', path: 'dismiss', status: 200, reasonOf: (body) => validateDismissBody(body).reason },
];

const refused = (action: OperatorDriftAction, status: string) =>
  new ApiError('conflict_error', 'illegal_transition', `cannot ${action} a drift event that is ${status}`);

/** Adds the routes to `router`: one flat router matches a path once, where nested ones matched it again. */
export const driftRoutes = (router: Router<BosunState>, deps: DriftRoutesDeps): void => {
  const events = deps.commands.store;

  const readDrift = async (ctx: Context): Promise<DriftView> => {
    const { tenant } = principalOf(ctx);
    const drift = await getDrift(deps.readStore, tenant, resourceId(ctx));
    if (!drift) throw notFound('drift event', resourceId(ctx));
    return drift;
  };

  const answer = async (ctx: Context, status: number, drift: DriftView, result: CommandResult<unknown>) => {
    const view = await afterWrite(events, driftStream(drift.instance_id), result, foldDrift(drift.id), { resource: 'drift event', id: drift.id });
    ctx.status = status;
    ctx.body = presentDrift(view);
    ctx.state.appended = {
      stream: driftStream(view.instance_id),
      revision: view.revision,
      position: view.position,
      occurredAt: view.updated_at,
    } satisfies Appended;
  };

  for (const { action, path, status, reasonOf } of actions) {
    const replay: Replay = async (ctx, record) => {
      const driftId = resourceId(ctx);
      const view = await asOf(events, record.stream, record.revision, foldDrift(driftId), { resource: 'drift event', id: driftId });
      ctx.status = status;
      ctx.body = presentDrift(view);
    };

    router.post(`/drift-events/:id/${path}`, allow(`POST /api/v1/drift-events/:id/${path}` as RouteKey), deps.idempotent(replay), async (ctx) => {
      const reason = reasonOf(ctx.request.body ?? {});
      const drift = await readDrift(ctx);
      if (!isActiveDrift(drift)) throw refused(action, drift.status);
      try {
        await answer(
          ctx,
          status,
          drift,
          await executeDriftAction(
            deps.commands,
            commandContextOf(ctx),
            drift.instance_id,
            driftCommandFor(action, drift.id, reason),
            (history) => foldDrift(drift.id)(history)?.revision ?? -1,
          ),
        );
      } catch (error) {
        // The read model had not yet caught up with the drift's end.
        if (error instanceof NotFoundError) throw refused(action, 'closed');
        throw error;
      }
    });
  }

  router.get('/drift-events', allow('GET /api/v1/drift-events'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const { instance_id, status, severity } = validateListQuery({ ...ctx.query });
    const page = pageFromQuery(ctx);
    const filter = { ...(instance_id ? { instance_id } : {}), ...(status ? { status } : {}), ...(severity ? { severity } : {}) };
    ctx.body = listBody(await listDrifts(deps.readStore, tenant, filter, { ...page, limit: page.limit + 1 }), page, presentDrift);
  });

  router.get('/drift-events/:id', allow('GET /api/v1/drift-events/:id'), deps.consistent, async (ctx) => {
    ctx.body = presentDrift(await readDrift(ctx));
  });

  router.get('/drift/summary', allow('GET /api/v1/drift/summary'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    ctx.body = presentSummary(await getDriftSummary(deps.readStore, tenant));
  });

  router.get('/instances/:id/snapshots', allow('GET /api/v1/instances/:id/snapshots'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    validateSnapshotsQuery({ ...ctx.query });
    const instanceId = resourceId(ctx);
    if (!(await getInstance(deps.readStore, tenant, instanceId))) throw notFound('instance', instanceId);
    const page = pageFromQuery(ctx);
    ctx.body = listBody(await listSnapshots(deps.readStore, tenant, instanceId, { ...page, limit: page.limit + 1 }), page, presentSnapshot);
  });
};
