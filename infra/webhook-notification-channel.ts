import type { CommandHandlerDeps } from '../commands/handle-command.js';
import type { RecordedEvent } from '../events/event-store.js';
import type { NotificationChannel } from '../processes/notifications/notification-channel.js';

/**
 * Requests a signed, retried delivery of `event` to the team's webhook `webhookId`;
 * requesting one event for one webhook twice records nothing. The outbound webhooks part
 * provides it (`enqueueDelivery` in commands/webhooks.ts).
 */
export type EnqueueDelivery = (commands: CommandHandlerDeps, tenant: string, webhookId: string, event: RecordedEvent) => Promise<unknown>;

/** The webhook channel of alert notifications: the alert's event, delivered like any other to the webhook the rule names. */
export const webhookNotificationChannel = (commands: CommandHandlerDeps, enqueueDelivery: EnqueueDelivery): NotificationChannel => ({
  type: 'webhook',
  notify: async (tenant, channel, event) => {
    await enqueueDelivery(commands, tenant, channel.webhook_id, event);
  },
});
