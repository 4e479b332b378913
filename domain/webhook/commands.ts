import type { DeliveredEventRef, DeliveryOutcome, DeliveryTarget, SealedSecret } from './events.js';

export type CreateWebhook = {
  readonly type: 'CreateWebhook';
  readonly webhookId: string;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly description: string;
  readonly enabled: boolean;
  readonly secret: SealedSecret;
};
/** Only the fields given change. */
export type UpdateWebhook = { readonly type: 'UpdateWebhook'; readonly url?: string; readonly eventTypes?: readonly string[]; readonly description?: string };
export type EnableWebhook = { readonly type: 'EnableWebhook' };
export type DisableWebhook = { readonly type: 'DisableWebhook' };
export type DeleteWebhook = { readonly type: 'DeleteWebhook' };
/** `previousValidUntil` is decided by the caller (the domain has no clock). */
export type RotateWebhookSecret = { readonly type: 'RotateWebhookSecret'; readonly secret: SealedSecret; readonly previousValidUntil: string };

export type WebhookCommand = CreateWebhook | UpdateWebhook | EnableWebhook | DisableWebhook | DeleteWebhook | RotateWebhookSecret;

/** Its id derives from the target and the event, so requesting it again records nothing. */
export type RequestDelivery = {
  readonly type: 'RequestDelivery';
  readonly deliveryId: string;
  readonly messageId: string;
  readonly target: DeliveryTarget;
  readonly event: DeliveredEventRef | null;
  readonly redeliveryOf: string | null;
};
export type RecordDeliveryAttempt = {
  readonly type: 'RecordDeliveryAttempt';
  readonly attempt: number;
  readonly outcome: DeliveryOutcome;
  readonly responseStatus: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  readonly nextAttemptAt: string | null;
};

export type DeliveryCommand = RequestDelivery | RecordDeliveryAttempt;
