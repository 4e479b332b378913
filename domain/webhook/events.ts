import type { DomainEvent } from '../shared/decider.js';

/**
 * A signing secret as it stands in an event: sealed under the team's data key by the command
 * side (the domain never sees it in the clear), opaque here.
 */
export type SealedSecret = { readonly $sealed: unknown };

/** A subscription began: events of these types (or categories, `task.*`) go to `url`. */
export type WebhookCreated = DomainEvent<
  'webhook.created',
  { webhook_id: string; url: string; event_types: string[]; description: string; enabled: boolean; secret: SealedSecret }
>;
/** The URL, the event types or the description changed: the new values, whole. */
export type WebhookUpdated = DomainEvent<'webhook.updated', { url: string; event_types: string[]; description: string }>;
export type WebhookEnabled = DomainEvent<'webhook.enabled', Record<string, never>>;
/** No delivery starts while disabled; deliveries under way stop at their next attempt. */
export type WebhookDisabled = DomainEvent<'webhook.disabled', Record<string, never>>;
export type WebhookDeleted = DomainEvent<'webhook.deleted', Record<string, never>>;
/** A new secret signs from now on; the previous one also signs until `previous_valid_until`. */
export type WebhookSecretRotated = DomainEvent<'webhook.secret_rotated', { secret: SealedSecret; previous_valid_until: string }>;

export type WebhookEvent = WebhookCreated | WebhookUpdated | WebhookEnabled | WebhookDisabled | WebhookDeleted | WebhookSecretRotated;

export const webhookEventTypes: readonly WebhookEvent['type'][] = [
  'webhook.created',
  'webhook.updated',
  'webhook.enabled',
  'webhook.disabled',
  'webhook.deleted',
  'webhook.secret_rotated',
];

/** Where a delivery goes: a subscription, or the callback URL a task was submitted with. */
export type DeliveryTarget = { readonly kind: 'webhook'; readonly webhook_id: string } | { readonly kind: 'task_callback'; readonly url: string };

/** The event a delivery carries, by reference: its payload is read from the log when it is sent. Null for a ping. */
export type DeliveredEventRef = { readonly id: string; readonly type: string; readonly stream: string; readonly revision: number };

export const deliveryOutcomes = ['succeeded', 'failed'] as const;
export type DeliveryOutcome = (typeof deliveryOutcomes)[number];

/** A message is to be delivered; `message_id` is its `webhook-id`, kept by a redelivery so receivers can de-duplicate. */
export type DeliveryRequested = DomainEvent<
  'delivery.requested',
  { delivery_id: string; message_id: string; target: DeliveryTarget; event: DeliveredEventRef | null; redelivery_of: string | null }
>;
/** One attempt and how it went; `next_attempt_at` null after a failure means the delivery gave up. */
export type DeliveryAttempted = DomainEvent<
  'delivery.attempted',
  {
    attempt: number;
    outcome: DeliveryOutcome;
    response_status: number | null;
    duration_ms: number;
    error: string | null;
    next_attempt_at: string | null;
  }
>;

export type DeliveryEvent = DeliveryRequested | DeliveryAttempted;

export const deliveryEventTypes: readonly DeliveryEvent['type'][] = ['delivery.requested', 'delivery.attempted'];

/** `pending` until the first attempt, `retrying` between failed ones, then `succeeded` or `failed` (given up). */
export const deliveryStatuses = ['pending', 'retrying', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];
