import type { DeliveryStatus } from '../../domain/webhook/index.js';
import type { Page, ReadStore } from '../read-store.js';
import { streamViewProjector } from '../stream-view-projector.js';
import { evolveDeliveryView, evolveWebhookView, type DeliveryView, type WebhookView } from './webhook-view.js';

const webhooks = streamViewProjector<WebhookView>({ name: 'webhooks', category: 'webhook', indexes: [['tenant', 'deleted']], evolve: evolveWebhookView });
const deliveries = streamViewProjector<DeliveryView>({
  name: 'webhook_deliveries',
  category: 'delivery',
  indexes: [
    ['tenant', 'webhook_id'],
    ['tenant', 'webhook_id', 'status'],
  ],
  evolve: evolveDeliveryView,
});

export const webhookProjector = webhooks.projector;
export const webhookCollection = webhooks.collection;
export const deliveryProjector = deliveries.projector;
export const deliveryCollection = deliveries.collection;

/** Another tenant's webhook, or a deleted one, is indistinguishable from a missing one. */
export const getWebhook = async (store: ReadStore, tenant: string, id: string): Promise<WebhookView | null> => {
  const webhook = await webhookCollection(store).get(id);
  return webhook && webhook.tenant === tenant && !webhook.deleted ? webhook : null;
};

export const listWebhooks = (store: ReadStore, tenant: string, page: Page): Promise<WebhookView[]> =>
  webhookCollection(store).list({ tenant, deleted: false }, page);

export const getDelivery = async (store: ReadStore, tenant: string, webhookId: string, id: string): Promise<DeliveryView | null> => {
  const delivery = await deliveryCollection(store).get(id);
  return delivery && delivery.tenant === tenant && delivery.webhook_id === webhookId ? delivery : null;
};

export const listDeliveries = (store: ReadStore, tenant: string, webhookId: string, filter: { status?: DeliveryStatus }, page: Page): Promise<DeliveryView[]> =>
  deliveryCollection(store).list({ tenant, webhook_id: webhookId, ...filter }, page);
