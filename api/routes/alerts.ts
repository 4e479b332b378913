import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { executeAlertCommand } from '../../commands/alerts.js';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import type { AlertCommand, AlertStatus } from '../../domain/alert/index.js';
import { alertStream, idOfStream } from '../../events/streams.js';
import { getAlert, listAlerts } from '../../projections/alerts/alert-queries.js';
import { evolveAlertView } from '../../projections/alerts/alert-view.js';
import type { ReadStore } from '../../projections/read-store.js';
import { acknowledgeAlertBody, listAlertsQuery, resolveAlertBody } from '../alert-schemas.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { notFound } from '../errors.js';
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

type AlertAction = { readonly path: string; readonly command: (body: unknown) => Exclude<AlertCommand, { type: 'RaiseAlert' }> };

const actions: readonly AlertAction[] = [
  {
    path: 'acknowledge',
    command: (body) => {
      validateAcknowledge(body);
      return { type: 'AcknowledgeAlert' };
    },
  },
  { path: 'resolve', command: (body) => ({ type: 'ResolveAlert', reason: validateResolve(body).reason ?? 'resolved by an operator' }) },
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
