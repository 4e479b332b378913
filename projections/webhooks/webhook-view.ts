import { assertNever } from '../../domain/shared/decider.js';
import type { DeliveredEventRef, DeliveryEvent, DeliveryStatus, DeliveryTarget, WebhookEvent } from '../../domain/webhook/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { ReadDocument } from '../read-store.js';

/** A subscription as clients read it: never its secret. */
export type WebhookView = ReadDocument & {
  readonly url: string;
  readonly event_types: readonly string[];
  readonly description: string;
  readonly enabled: boolean;
  readonly deleted: boolean;
  /** Until when the secret before the last rotation still signs; null when none does. */
  readonly previous_secret_valid_until: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly position: number;
};

/** Pure, so the projector and the API's answers to writes (folded from the stream) share it. */
export const evolveWebhookView = (view: WebhookView | null, recorded: RecordedEvent): WebhookView | null => {
  const event = { type: recorded.type, data: recorded.data } as WebhookEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'webhook.created') {
    if (view) return view;
    const { webhook_id, url, event_types, description, enabled } = event.data;
    return {
      id: webhook_id,
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      url,
      event_types,
      description,
      enabled,
      deleted: false,
      previous_secret_valid_until: null,
      created_at: at,
      updated_at: at,
    };
  }
  if (!view) return null;
  const touched = { ...view, revision: recorded.revision, position: recorded.position, updated_at: at };
  switch (event.type) {
    case 'webhook.updated':
      return { ...touched, url: event.data.url, event_types: event.data.event_types, description: event.data.description };
    case 'webhook.enabled':
      return { ...touched, enabled: true };
    case 'webhook.disabled':
      return { ...touched, enabled: false };
    case 'webhook.deleted':
      return { ...touched, enabled: false, deleted: true };
    case 'webhook.secret_rotated':
      return { ...touched, previous_secret_valid_until: event.data.previous_valid_until };
    default:
      return assertNever(event);
  }
};

/** One entry of the delivery log. `webhook_id` is null for a task callback (whose URL is `callback_url`). */
export type DeliveryView = ReadDocument & {
  readonly webhook_id: string | null;
  readonly callback_url: string | null;
  readonly message_id: string;
  readonly event_id: string | null;
  /** `webhook.ping` for a ping. */
  readonly event_type: string;
  readonly redelivery_of: string | null;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly response_status: number | null;
  readonly duration_ms: number | null;
  readonly error: string | null;
  readonly next_attempt_at: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly position: number;
};

const targetFields = (target: DeliveryTarget) =>
  target.kind === 'webhook' ? { webhook_id: target.webhook_id, callback_url: null } : { webhook_id: null, callback_url: target.url };

const eventFields = (event: DeliveredEventRef | null) =>
  event ? { event_id: event.id, event_type: event.type } : { event_id: null, event_type: 'webhook.ping' };

export const evolveDeliveryView = (view: DeliveryView | null, recorded: RecordedEvent): DeliveryView | null => {
  const event = { type: recorded.type, data: recorded.data } as DeliveryEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'delivery.requested') {
    if (view) return view;
    return {
      id: event.data.delivery_id,
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      ...targetFields(event.data.target),
      message_id: event.data.message_id,
      ...eventFields(event.data.event),
      redelivery_of: event.data.redelivery_of,
      status: 'pending',
      attempts: 0,
      response_status: null,
      duration_ms: null,
      error: null,
      next_attempt_at: null,
      created_at: at,
      updated_at: at,
    };
  }
  if (!view) return null;
  const { attempt, outcome, response_status, duration_ms, error, next_attempt_at } = event.data;
  const status: DeliveryStatus = outcome === 'succeeded' ? 'succeeded' : next_attempt_at === null ? 'failed' : 'retrying';
  return {
    ...view,
    revision: recorded.revision,
    position: recorded.position,
    updated_at: at,
    status,
    attempts: attempt,
    response_status,
    duration_ms,
    error,
    next_attempt_at,
  };
};
