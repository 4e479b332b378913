import { assertNever, type Decider } from '../shared/decider.js';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../shared/errors.js';
import type { DeliveryCommand, WebhookCommand } from './commands.js';
import type { DeliveryEvent, WebhookEvent } from './events.js';
import { evolveDelivery, evolveWebhook, initialDeliveryState, initialWebhookState, type DeliveryState, type WebhookState } from './state.js';

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value, i) => value === b[i]);

export const decideWebhook = (command: WebhookCommand, state: WebhookState): WebhookEvent[] => {
  if (command.type === 'CreateWebhook') {
    // A retried create (same idempotency key, same id) finds its webhook there.
    if (state.status !== 'none') return [];
    if (command.eventTypes.length === 0)
      throw new RuleViolationError('no_event_types', 'a webhook subscribes to at least one event type or category', 'event_types');
    const { webhookId, url, eventTypes, description, enabled, secret } = command;
    return [{ type: 'webhook.created', data: { webhook_id: webhookId, url, event_types: [...eventTypes], description, enabled, secret } }];
  }
  if (state.status === 'none') throw new NotFoundError('webhook');
  if (state.status === 'deleted') {
    if (command.type === 'DeleteWebhook') return [];
    throw new IllegalTransitionError('webhook', 'deleted', actionNames[command.type]);
  }
  switch (command.type) {
    case 'UpdateWebhook': {
      const next = {
        url: command.url ?? state.url,
        event_types: [...(command.eventTypes ?? state.eventTypes)],
        description: command.description ?? state.description,
      };
      if (next.event_types.length === 0)
        throw new RuleViolationError('no_event_types', 'a webhook subscribes to at least one event type or category', 'event_types');
      const unchanged = next.url === state.url && next.description === state.description && sameList(next.event_types, state.eventTypes);
      return unchanged ? [] : [{ type: 'webhook.updated', data: next }];
    }
    case 'EnableWebhook':
      return state.enabled ? [] : [{ type: 'webhook.enabled', data: {} }];
    case 'DisableWebhook':
      return state.enabled ? [{ type: 'webhook.disabled', data: {} }] : [];
    case 'DeleteWebhook':
      return [{ type: 'webhook.deleted', data: {} }];
    case 'RotateWebhookSecret':
      return [{ type: 'webhook.secret_rotated', data: { secret: command.secret, previous_valid_until: command.previousValidUntil } }];
    default:
      return assertNever(command);
  }
};

const actionNames: Record<Exclude<WebhookCommand['type'], 'CreateWebhook'>, string> = {
  UpdateWebhook: 'update',
  EnableWebhook: 'enable',
  DisableWebhook: 'disable',
  DeleteWebhook: 'delete',
  RotateWebhookSecret: 'rotate the secret of',
};

export const webhookDecider: Decider<WebhookCommand, WebhookEvent, WebhookState> = {
  decide: decideWebhook,
  evolve: evolveWebhook,
  initialState: initialWebhookState,
};

export const decideDelivery = (command: DeliveryCommand, state: DeliveryState): DeliveryEvent[] => {
  if (command.type === 'RequestDelivery') {
    // The id derives from target and event: a dispatcher that sees the event again after a crash records nothing.
    if (state.status !== 'none') return [];
    const { deliveryId, messageId, target, event, redeliveryOf } = command;
    return [{ type: 'delivery.requested', data: { delivery_id: deliveryId, message_id: messageId, target, event, redelivery_of: redeliveryOf } }];
  }
  if (state.status === 'none') throw new NotFoundError('delivery');
  // An activity retried after its attempt was recorded, or one that lost a race with the end: nothing new.
  if (command.attempt <= state.attempts || state.status === 'succeeded' || state.status === 'failed') return [];
  const { attempt, outcome, responseStatus, durationMs, error, nextAttemptAt } = command;
  return [
    {
      type: 'delivery.attempted',
      data: {
        attempt,
        outcome,
        response_status: responseStatus,
        duration_ms: durationMs,
        error,
        next_attempt_at: outcome === 'succeeded' ? null : nextAttemptAt,
      },
    },
  ];
};

export const deliveryDecider: Decider<DeliveryCommand, DeliveryEvent, DeliveryState> = {
  decide: decideDelivery,
  evolve: evolveDelivery,
  initialState: initialDeliveryState,
};
