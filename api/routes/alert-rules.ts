import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { createAlertRule, executeAlertRuleCommand } from '../../commands/alert-rules.js';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import { readWebhook } from '../../commands/webhooks.js';
import type { AlertRuleCommand, AlertRuleDefinition, AlertRuleKind } from '../../domain/alert-rule/index.js';
import { NotFoundError } from '../../domain/shared/errors.js';
import { alertRuleStream, idOfStream } from '../../events/streams.js';
import { getAlertRule, listAlertRules } from '../../projections/alert-rules/alert-rule-queries.js';
import { evolveAlertRuleView } from '../../projections/alert-rules/alert-rule-view.js';
import type { ReadStore } from '../../projections/read-store.js';
import { createAlertRuleBody, emptyBody, listAlertRulesQuery, patchAlertRuleBody } from '../alert-rule-schemas.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { ApiError, notFound } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { listBody, pageFromQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { presentAlertRule } from '../presenters.js';
import { afterWrite, asOf, foldWith } from '../resource-views.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';

export type AlertRuleRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
};

const foldRule = foldWith(evolveAlertRuleView);

const validateCreate = validator<Omit<AlertRuleDefinition, 'channels'> & { channels?: AlertRuleDefinition['channels'] }>(createAlertRuleBody);
const validatePatch = validator<Partial<AlertRuleDefinition>>(patchAlertRuleBody);
const validateEmpty = validator<Record<string, never>>(emptyBody);
const validateListQuery = validator<{ status?: 'enabled' | 'disabled'; kind?: AlertRuleKind }>(listAlertRulesQuery);

/** A team's alert rules: read by anyone in the team, written by operators. Each is evaluated per team (processes/alert-rules). */
export const alertRuleRoutes = (router: Router<BosunState>, deps: AlertRuleRoutesDeps): void => {
  const events = deps.commands.store;

  const answer = async (ctx: Context, status: number, ruleId: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream'>) => {
    const view = await afterWrite(events, alertRuleStream(ruleId), result, foldRule, { resource: 'alert rule', id: ruleId });
    ctx.status = status;
    ctx.body = presentAlertRule(view);
    ctx.state.appended = { stream: alertRuleStream(ruleId), revision: view.revision, position: view.position, occurredAt: view.updated_at } satisfies Appended;
  };

  const replay =
    (status: number): Replay =>
    async (ctx, record) => {
      const ruleId = idOfStream(record.stream);
      ctx.status = status;
      ctx.body = presentAlertRule(await asOf(events, record.stream, record.revision, foldRule, { resource: 'alert rule', id: ruleId }));
    };

  /** Each channel names a webhook of the caller's team that is not deleted: a rule must not notify into nothing, nor another team. */
  const checkChannels = async (ctx: Context, channels: AlertRuleDefinition['channels'] | undefined) => {
    const { tenant } = principalOf(ctx);
    for (const [index, channel] of (channels ?? []).entries()) {
      const state = await readWebhook(deps.commands, tenant, channel.webhook_id).catch((error: unknown) => {
        if (error instanceof NotFoundError) return null;
        throw error;
      });
      if (state?.status !== 'active') {
        throw new ApiError('invalid_request_error', 'invalid_field', `channels[${index}].webhook_id: no webhook ${channel.webhook_id} in your team`, {
          param: `channels[${index}].webhook_id`,
        });
      }
    }
  };

  router.post('/alert-rules', allow('POST /api/v1/alert-rules'), deps.idempotent(replay(201)), async (ctx) => {
    const { channels = [], ...rest } = validateCreate(ctx.request.body);
    await checkChannels(ctx, channels);
    const { ruleId, ...result } = await createAlertRule(deps.commands, commandContextOf(ctx), { ...rest, channels });
    await answer(ctx, 201, ruleId, result);
    ctx.set('Location', `/api/v1/alert-rules/${ruleId}`);
  });

  router.get('/alert-rules', allow('GET /api/v1/alert-rules'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const { status, kind } = validateListQuery({ ...ctx.query });
    const page = pageFromQuery(ctx);
    const filter = { ...(status ? { status } : {}), ...(kind ? { kind } : {}) };
    ctx.body = listBody(await listAlertRules(deps.readStore, tenant, filter, { ...page, limit: page.limit + 1 }), page, presentAlertRule);
  });

  router.get('/alert-rules/:id', allow('GET /api/v1/alert-rules/:id'), deps.consistent, async (ctx) => {
    const rule = await getAlertRule(deps.readStore, principalOf(ctx).tenant, resourceId(ctx));
    if (!rule) throw notFound('alert rule', resourceId(ctx));
    ctx.body = presentAlertRule(rule);
  });

  const write = async (ctx: Context, command: Exclude<AlertRuleCommand, { type: 'CreateAlertRule' }>) => {
    const ruleId = resourceId(ctx);
    await answer(ctx, 200, ruleId, await executeAlertRuleCommand(deps.commands, commandContextOf(ctx), ruleId, command));
  };

  router.patch('/alert-rules/:id', allow('PATCH /api/v1/alert-rules/:id'), async (ctx) => {
    const changes = validatePatch(ctx.request.body);
    await checkChannels(ctx, changes.channels);
    return write(ctx, { type: 'UpdateAlertRule', changes });
  });

  router.post('/alert-rules/:id/enable', allow('POST /api/v1/alert-rules/:id/enable'), deps.idempotent(replay(200)), (ctx) => {
    validateEmpty(ctx.request.body ?? {});
    return write(ctx, { type: 'EnableAlertRule' });
  });

  router.post('/alert-rules/:id/disable', allow('POST /api/v1/alert-rules/:id/disable'), deps.idempotent(replay(200)), (ctx) => {
    validateEmpty(ctx.request.body ?? {});
    return write(ctx, { type: 'DisableAlertRule' });
  });

  router.delete('/alert-rules/:id', allow('DELETE /api/v1/alert-rules/:id'), (ctx) => write(ctx, { type: 'DeleteAlertRule' }));
};
