import { assertNever } from '../shared/decider.js';
import type { DeliveryEvent, DeliveryStatus, SealedSecret, WebhookEvent } from './events.js';

export type WebhookState = {
  readonly status: 'none' | 'active' | 'deleted';
  readonly enabled: boolean;
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly description: string;
  readonly secret: SealedSecret | null;
  readonly previousSecret: SealedSecret | null;
  readonly previousValidUntil: string | null;
};

export const initialWebhookState = (): WebhookState => ({
  status: 'none',
  enabled: false,
  url: '',
  eventTypes: [],
  description: '',
  secret: null,
  previousSecret: null,
  previousValidUntil: null,
});

export const evolveWebhook = (state: WebhookState, event: WebhookEvent): WebhookState => {
  switch (event.type) {
    case 'webhook.created': {
      const { url, event_types, description, enabled, secret } = event.data;
      return { ...state, status: 'active', url, eventTypes: event_types, description, enabled, secret };
    }
    case 'webhook.updated':
      return { ...state, url: event.data.url, eventTypes: event.data.event_types, description: event.data.description };
    case 'webhook.enabled':
      return { ...state, enabled: true };
    case 'webhook.disabled':
      return { ...state, enabled: false };
    case 'webhook.deleted':
      return { ...state, status: 'deleted', enabled: false };
    case 'webhook.secret_rotated':
      return { ...state, previousSecret: state.secret, previousValidUntil: event.data.previous_valid_until, secret: event.data.secret };
    default:
      return assertNever(event);
  }
};

/** Whether a subscription to `patterns` (types, or `category.*`) takes an event of `type`. */
export const subscribesTo = (patterns: readonly string[], type: string): boolean =>
  patterns.some((pattern) => pattern === type || pattern === '*' || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))));

export type DeliveryState = { readonly status: 'none' | DeliveryStatus; readonly attempts: number };

export const initialDeliveryState = (): DeliveryState => ({ status: 'none', attempts: 0 });

export const evolveDelivery = (state: DeliveryState, event: DeliveryEvent): DeliveryState => {
  switch (event.type) {
    case 'delivery.requested':
      return { status: 'pending', attempts: 0 };
    case 'delivery.attempted': {
      const { outcome, attempt, next_attempt_at } = event.data;
      const status: DeliveryStatus = outcome === 'succeeded' ? 'succeeded' : next_attempt_at === null ? 'failed' : 'retrying';
      return { status, attempts: Math.max(state.attempts, attempt) };
    }
    default:
      return assertNever(event);
  }
};
