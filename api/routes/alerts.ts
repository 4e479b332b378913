import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { executeAlertCommand } from '../../commands/alerts.js';
import { toDomainEvent, type CommandHandlerDeps, type CommandResult } from '../../commands/handle-command.js';
import { alertDecider, type AlertCommand, type AlertEvent, type AlertStatus } from '../../domain/alert/index.js';
import { replay as fold } from '../../domain/shared/decider.js';
import { NotFoundError } from '../../domain/shared/errors.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { alertStream, idOfStream } from '../../events/streams.js';
import { getAlert, getAlertSummary, listAlerts } from '../../projections/alerts/alert-queries.js';
import { evolveAlertView } from '../../projections/alerts/alert-view.js';
import type { ReadStore } from '../../projections/read-store.js';
import { acknowledgeAlertBody, bulkAcknowledgeAlertsBody, bulkResolveAlertsBody, listAlertsQuery, resolveAlertBody } from '../alert-schemas.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { ApiError, notFound, toApiError } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { listBody, pageFromQuery } from '../pagination.js';
import { allow, type RouteKey } from '../permissions.js';
import { presentAlert } from '../presenters.js';
import { afterWrite, asOf, foldWith } from '../resource-views.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';

export type AlertRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
};

const foldAlert = foldWith(evolveAlertView);

const validateListQuery = validator<{ status?: AlertStatus; rule?: string; rule_id?: string; subject_id?: string }>(listAlertsQuery);
const validateAcknowledge = validator<Record<string, never>>(acknowledgeAlertBody);
const validateResolve = validator<{ reason?: string }>(resolveAlertBody);

type OperatorCommand = Exclude<AlertCommand, { type: 'RaiseAlert' }>;
type AlertAction = {
  readonly path: string;
  readonly command: (body: unknown) => OperatorCommand;
  /** Validates a bulk request: the ids, and the command for each. */
  readonly bulk: (body: unknown) => { ids: string[]; command: OperatorCommand };
};

const validateBulkAcknowledge = validator<{ ids: string[] }>(bulkAcknowledgeAlertsBody);
const validateBulkResolve = validator<{ ids: string[]; reason?: string }>(bulkResolveAlertsBody);
const defaultReason = 'resolved by an operator';

/** One alert of a bulk request: 200 and the alert as acted on, or 404 (none in your team) or 409 (its state does not allow it). */
type BulkEntry = {
  readonly id: string;
  readonly status: 200 | 404 | 409;
  readonly alert?: object;
  readonly error?: { type: string; code: string; message: string };
};

const refused = (id: string, error: unknown): BulkEntry => {
  const apiError = toApiError(error);
  if (apiError.status !== 404 && apiError.status !== 409) throw error;
  return { id, status: apiError.status, error: { type: apiError.type, code: apiError.code, message: apiError.message } };
};

const actions: readonly AlertAction[] = [
  {
    path: 'acknowledge',
    command: (body) => {
      validateAcknowledge(body);
      return { type: 'AcknowledgeAlert' };
    },
    bulk: (body) => ({ ids: validateBulkAcknowledge(body).ids, command: { type: 'AcknowledgeAlert' } }),
  },
  {
    path: 'resolve',
    command: (body) => ({ type: 'ResolveAlert', reason: validateResolve(body).reason ?? defaultReason }),
    bulk: (body) => {
      const { ids, reason } = validateBulkResolve(body);
      return { ids, command: { type: 'ResolveAlert', reason: reason ?? defaultReason } };
    },
  },
];

/** Alerts raised by the alert rules: read by anyone in the team, acknowledged and resolved by operators. */
export const alertRoutes = (router: Router<BosunState>, deps: AlertRoutesDeps): void => {
  const events = deps.commands.store;

  const answer = async (ctx: Context, alertId: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream'>) => {
    const view = await afterWrite(events, alertStream(alertId), result, foldAlert, { resource: 'alert', id: alertId });
    ctx.body = presentAlert(view);
    ctx.state.appended = { stream: alertStream(alertId), revision: view.revision, position: view.position, occurredAt: view.updated_at } satisfies Appended;
  };

  const replay: Replay = async (ctx, record) => {
    ctx.body = presentAlert(await asOf(events, record.stream, record.revision, foldAlert, { resource: 'alert', id: idOfStream(record.stream) }));
  };

  router.get('/alerts', allow('GET /api/v1/alerts'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const { status, rule, rule_id, subject_id } = validateListQuery({ ...ctx.query });
    const page = pageFromQuery(ctx);
    const filter = { ...(status ? { status } : {}), ...(rule ? { rule } : {}), ...(rule_id ? { rule_id } : {}), ...(subject_id ? { subject_id } : {}) };
    ctx.body = listBody(await listAlerts(deps.readStore, tenant, filter, { ...page, limit: page.limit + 1 }), page, presentAlert);
  });

  router.get('/alerts/summary', allow('GET /api/v1/alerts/summary'), deps.consistent, async (ctx) => {
    ctx.body = { object: 'alert_summary', ...(await getAlertSummary(deps.readStore, principalOf(ctx).tenant)) };
  });

  /** Whether the alert's stream is the caller's team's: a bulk request names ids the router does not check. */
  const ownHistory = async (tenant: string, id: string): Promise<RecordedEvent[] | null> => {
    const history = await events.readStream(alertStream(id));
    return history[0]?.tenant === tenant ? history : null;
  };

  for (const action of actions) {
    /**
     * Rebuilds the first answer from the alerts' streams: an alert the keyed request changed
     * carries its key in the event's metadata; for one it refused, the domain tells why in
     * the state the alert was in then.
     */
    const replayBulk: Replay = async (ctx, record) => {
      const { tenant, keyId } = principalOf(ctx);
      const { ids, command } = action.bulk(ctx.request.body);
      const byThisRequest = (event: RecordedEvent) =>
        event.metadata.actor.id === keyId &&
        event.metadata.idempotency?.key === ctx.get('Idempotency-Key') &&
        event.metadata.idempotency.request_hash === record.request_hash;
      const results = await Promise.all(
        ids.map(async (id): Promise<BulkEntry> => {
          const history = await ownHistory(tenant, id);
          if (!history) return refused(id, new NotFoundError('alert'));
          const applied = history.find(byThisRequest);
          if (applied)
            return { id, status: 200, alert: presentAlert(await asOf(events, alertStream(id), applied.revision, foldAlert, { resource: 'alert', id })) };
          const then = fold(
            alertDecider,
            history.filter((event) => event.position <= record.position).map((event) => toDomainEvent<AlertEvent>(event)),
          );
          try {
            alertDecider.decide(command, then);
          } catch (error) {
            return refused(id, error);
          }
          return refused(id, new ApiError('conflict_error', 'not_applied', `the first request with this Idempotency-Key did not ${action.path} this alert`));
        }),
      );
      ctx.body = { object: 'bulk_result', results };
    };

    router.post(`/alerts/${action.path}`, allow(`POST /api/v1/alerts/${action.path}` as RouteKey), deps.idempotent(replayBulk), async (ctx) => {
      const { ids, command } = action.bulk(ctx.request.body);
      const { tenant } = principalOf(ctx);
      const commandCtx = commandContextOf(ctx);
      let last: Appended | null = null;
      // Each alert by itself: one refused does not stop the others.
      const results = await Promise.all(
        ids.map(async (id): Promise<BulkEntry> => {
          try {
            if (!(await ownHistory(tenant, id))) throw new NotFoundError('alert');
            const result = await executeAlertCommand(deps.commands, commandCtx, id, command);
            const view = await afterWrite(events, alertStream(id), result, foldAlert, { resource: 'alert', id });
            if (!last || view.position > last.position)
              last = { stream: alertStream(id), revision: view.revision, position: view.position, occurredAt: view.updated_at };
            return { id, status: 200, alert: presentAlert(view) };
          } catch (error) {
            return refused(id, error);
          }
        }),
      );
      // The middleware keeps one write per key, the last; a replay reads every alert's stream anyway.
      if (last) ctx.state.appended = last;
      ctx.body = { object: 'bulk_result', results };
    });
  }

  router.get('/alerts/:id', allow('GET /api/v1/alerts/:id'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const alert = await getAlert(deps.readStore, tenant, resourceId(ctx));
    if (!alert) throw notFound('alert', resourceId(ctx));
    ctx.body = presentAlert(alert);
  });

  for (const action of actions) {
    router.post(`/alerts/:id/${action.path}`, allow(`POST /api/v1/alerts/:id/${action.path}` as RouteKey), deps.idempotent(replay), async (ctx) => {
      const command = action.command(ctx.request.body ?? {});
      const alertId = resourceId(ctx);
      await answer(ctx, alertId, await executeAlertCommand(deps.commands, commandContextOf(ctx), alertId, command));
    });
  }
};
