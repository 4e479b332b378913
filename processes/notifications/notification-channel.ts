import type { NotificationChannelRef } from '../../domain/alert-rule/index.js';
import type { RecordedEvent } from '../../events/event-store.js';

/**
 * Where an alert's rule says to tell of it. One adapter per channel type: webhooks today
 * (infra/webhook-notification-channel.ts); an e-mail or chat adapter is one more member of
 * `NotificationChannelRef` (with its own address fields) and one more adapter of this port,
 * and nothing in the notifier changes. `event` is the alert's event as the log holds it
 * (`alert.raised`, `alert.acknowledged`, `alert.resolved`); its id is stable, so an adapter
 * can make a second notification of one event record nothing.
 */
export type NotificationChannel = {
  readonly type: NotificationChannelRef['type'];
  /** Resolves once the notification is durably on its way; throws to have it retried. */
  readonly notify: (tenant: string, channel: NotificationChannelRef, event: RecordedEvent) => Promise<void>;
};
