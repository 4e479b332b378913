import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import { createWebhook, executeWebhookCommand, pingWebhook, redeliver, rotateWebhookSecret, taskCallbackSecret } from '../../commands/webhooks.js';
import type { DeliveryRequested, DeliveryStatus, WebhookCommand } from '../../domain/webhook/index.js';
import { deliveryStream, idOfStream, webhookStream } from '../../events/streams.js';
import type { ReadStore } from '../../projections/read-store.js';
import { getDelivery, getWebhook, listDeliveries, listWebhooks } from '../../projections/webhooks/webhook-projector.js';
import { evolveDeliveryView, evolveWebhookView, type DeliveryView, type WebhookView } from '../../projections/webhooks/webhook-view.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { ApiError, notFound } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { listBody, pageFromQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { afterWrite, asOf, foldWith, present } from '../resource-views.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';
import { createWebhookBody, emptyBody, listDeliveriesQuery, listWebhooksQuery, rotateSecretBody, updateWebhookBody } from '../webhook-schemas.js';

export type WebhookRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
};

export const presentWebhook = (view: WebhookView) => {
  const { deleted: _deleted, ...shown } = view;
  return present('webhook', shown);
};

export const presentDelivery = (view: DeliveryView) => present('webhook_delivery', view);

const foldWebhook = foldWith(evolveWebhookView);
const foldDelivery = foldWith(evolveDeliveryView);

const validateCreate = validator<{ url: string; event_types: string[]; description?: string; enabled?: boolean }>(createWebhookBody);
const validateUpdate = validator<{ url?: string; event_types?: string[]; description?: string }>(updateWebhookBody);
const validateEmpty = validator<Record<string, never>>(emptyBody);
const validateRotate = validator<{ overlap_seconds?: number }>(rotateSecretBody);
const validateListDeliveries = validator<{ status?: DeliveryStatus }>(listDeliveriesQuery);
const validateListWebhooks = validator<Record<string, string>>(listWebhooksQuery);

/** A secret is shown once: replaying its request could not show it again, nor answer without it as if it had. */
const secretShownOnce: Replay = async () => {
  throw new ApiError(
    'conflict_error',
    'secret_already_shown',
    'this Idempotency-Key already answered with a webhook secret; it was shown once and cannot be shown again',
  );
};

const defaultOverlapSeconds = 86_400;

/**
 * Webhook subscriptions and their delivery log. Admins manage subscriptions (their
 * secrets sign what Bosun sends); operators ping and redeliver; the team reads.
 */
export const webhookRoutes = (router: Router<BosunState>, deps: WebhookRoutesDeps): void => {
  const events = deps.commands.store;

  const appended = (stream: string, result: Pick<CommandResult<unknown>, 'revision' | 'position' | 'occurredAt'>): Appended => ({
    stream,
    revision: result.revision,
    position: result.position,
    occurredAt: result.occurredAt ?? deps.commands.env.now().toISOString(),
  });

  const answerWebhook = async (ctx: Context, webhookId: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream' | 'position' | 'occurredAt'>) => {
    const view = await afterWrite(events, webhookStream(webhookId), result, foldWebhook, { resource: 'webhook', id: webhookId });
    ctx.body = presentWebhook(view);
    if (result.position > 0) ctx.state.appended = appended(webhookStream(webhookId), result);
  };

  const answerDelivery = async (ctx: Context, deliveryId: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream' | 'position' | 'occurredAt'>) => {
    const view = await afterWrite(events, deliveryStream(deliveryId), result, foldDelivery, { resource: 'delivery', id: deliveryId });
    ctx.status = 202;
    ctx.body = presentDelivery(view);
    ctx.state.appended = appended(deliveryStream(deliveryId), result);
  };

  const replayWebhook: Replay = async (ctx, record) => {
    ctx.body = presentWebhook(await asOf(events, record.stream, record.revision, foldWebhook, { resource: 'webhook', id: idOfStream(record.stream) }));
  };
  const replayDelivery: Replay = async (ctx, record) => {
    ctx.status = 202;
    ctx.body = presentDelivery(await asOf(events, record.stream, record.revision, foldDelivery, { resource: 'delivery', id: idOfStream(record.stream) }));
  };

  /** The webhook of the route, not deleted: deleted ones answer 404 like missing ones. */
  const liveWebhook = async (ctx: Context): Promise<WebhookView> => {
    const id = resourceId(ctx);
    const view = foldWebhook(await events.readStream(webhookStream(id)));
    if (!view || view.deleted) throw notFound('webhook', id);
    return view;
  };

  router.post('/webhooks', allow('POST /api/v1/webhooks'), deps.idempotent(secretShownOnce), async (ctx) => {
    const body = validateCreate(ctx.request.body);
    const result = await createWebhook(deps.commands, commandContextOf(ctx), {
      url: body.url,
      eventTypes: body.event_types,
      description: body.description ?? '',
      enabled: body.enabled ?? true,
    });
    await answerWebhook(ctx, result.webhookId, result);
    ctx.status = 201;
    ctx.set('Location', `/api/v1/webhooks/${result.webhookId}`);
    ctx.body = { ...(ctx.body as object), secret: result.secret };
  });

  router.get('/webhooks', allow('GET /api/v1/webhooks'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    validateListWebhooks({ ...ctx.query });
    const page = pageFromQuery(ctx);
    ctx.body = listBody(await listWebhooks(deps.readStore, tenant, { ...page, limit: page.limit + 1 }), page, presentWebhook);
  });

  router.get('/webhooks/:id', allow('GET /api/v1/webhooks/:id'), deps.consistent, async (ctx) => {
    const webhook = await getWebhook(deps.readStore, principalOf(ctx).tenant, resourceId(ctx));
    if (!webhook) throw notFound('webhook', resourceId(ctx));
    ctx.body = presentWebhook(webhook);
  });

  router.patch('/webhooks/:id', allow('PATCH /api/v1/webhooks/:id'), async (ctx) => {
    const body = validateUpdate(ctx.request.body);
    await liveWebhook(ctx);
    const command: WebhookCommand = {
      type: 'UpdateWebhook',
      ...(body.url !== undefined ? { url: body.url } : {}),
      ...(body.event_types !== undefined ? { eventTypes: body.event_types } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
    };
    await answerWebhook(ctx, resourceId(ctx), await executeWebhookCommand(deps.commands, commandContextOf(ctx), resourceId(ctx), command));
  });

  router.delete('/webhooks/:id', allow('DELETE /api/v1/webhooks/:id'), async (ctx) => {
    await liveWebhook(ctx);
    const result = await executeWebhookCommand(deps.commands, commandContextOf(ctx), resourceId(ctx), { type: 'DeleteWebhook' });
    await answerWebhook(ctx, resourceId(ctx), result);
    ctx.body = { ...(ctx.body as object), deleted: true };
  });

  for (const [action, type] of [
    ['enable', 'EnableWebhook'],
    ['disable', 'DisableWebhook'],
  ] as const) {
    router.post(`/webhooks/:id/${action}`, allow(`POST /api/v1/webhooks/:id/${action}`), deps.idempotent(replayWebhook), async (ctx) => {
      validateEmpty(ctx.request.body ?? {});
      await liveWebhook(ctx);
      await answerWebhook(ctx, resourceId(ctx), await executeWebhookCommand(deps.commands, commandContextOf(ctx), resourceId(ctx), { type }));
    });
  }

  router.post('/webhooks/:id/rotate-secret', allow('POST /api/v1/webhooks/:id/rotate-secret'), deps.idempotent(secretShownOnce), async (ctx) => {
    const body = validateRotate(ctx.request.body ?? {});
    await liveWebhook(ctx);
    const result = await rotateWebhookSecret(deps.commands, commandContextOf(ctx), resourceId(ctx), body.overlap_seconds ?? defaultOverlapSeconds);
    await answerWebhook(ctx, resourceId(ctx), result);
    ctx.body = { ...(ctx.body as object), secret: result.secret };
  });

  router.post('/webhooks/:id/ping', allow('POST /api/v1/webhooks/:id/ping'), deps.idempotent(replayDelivery), async (ctx) => {
    validateEmpty(ctx.request.body ?? {});
    await liveWebhook(ctx);
    // If-Match speaks of the webhook, which the ping does not change; the delivery is a stream of its own.
    const { expectedRevision: _revision, ...command } = commandContextOf(ctx);
    const result = await pingWebhook(deps.commands, command, resourceId(ctx));
    await answerDelivery(ctx, result.deliveryId, result);
  });

  router.get('/webhooks/:id/deliveries', allow('GET /api/v1/webhooks/:id/deliveries'), deps.consistent, async (ctx) => {
    const { status } = validateListDeliveries({ ...ctx.query });
    await liveWebhook(ctx);
    const page = pageFromQuery(ctx);
    const found = await listDeliveries(deps.readStore, principalOf(ctx).tenant, resourceId(ctx), status ? { status } : {}, { ...page, limit: page.limit + 1 });
    ctx.body = listBody(found, page, presentDelivery);
  });

  router.get('/webhooks/:id/deliveries/:delivery_id', allow('GET /api/v1/webhooks/:id/deliveries/:delivery_id'), deps.consistent, async (ctx) => {
    const deliveryId = String(ctx.params.delivery_id);
    const delivery = await getDelivery(deps.readStore, principalOf(ctx).tenant, resourceId(ctx), deliveryId);
    if (!delivery) throw notFound('delivery', deliveryId);
    ctx.body = presentDelivery(delivery);
  });

  router.post(
    '/webhooks/:id/deliveries/:delivery_id/redeliver',
    allow('POST /api/v1/webhooks/:id/deliveries/:delivery_id/redeliver'),
    deps.idempotent(replayDelivery),
    async (ctx) => {
      validateEmpty(ctx.request.body ?? {});
      const webhookId = resourceId(ctx);
      await liveWebhook(ctx);
      const deliveryId = String(ctx.params.delivery_id);
      // From the delivery's stream, not the read model: a delivery requested a moment ago can be redelivered.
      const [first] = await events.readStream(deliveryStream(deliveryId), { maxCount: 1 });
      const requested = first?.data as DeliveryRequested['data'] | undefined;
      if (
        !first ||
        !requested ||
        first.tenant !== principalOf(ctx).tenant ||
        requested.target.kind !== 'webhook' ||
        requested.target.webhook_id !== webhookId
      ) {
        throw notFound('delivery', deliveryId);
      }
      const { expectedRevision: _revision, ...command } = commandContextOf(ctx);
      const result = await redeliver(deps.commands, command, { deliveryId, messageId: requested.message_id, target: requested.target, event: requested.event });
      await answerDelivery(ctx, result.deliveryId, result);
    },
  );

  router.get('/task-callbacks/secret', allow('GET /api/v1/task-callbacks/secret'), async (ctx) => {
    ctx.body = { object: 'task_callback_secret', secret: await taskCallbackSecret(deps.commands, principalOf(ctx).tenant) };
  });
};
