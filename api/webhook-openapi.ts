/** The OpenAPI description of webhooks, their delivery log, and the task callbacks' secret. */
import { deliveryStatuses } from '../domain/webhook/events.js';
import { json } from './openapi-common.js';
import { streamVersion } from './openapi-schemas.js';
import { createWebhookBody, emptyBody, rotateSecretBody, updateWebhookBody } from './webhook-schemas.js';

type Params = { readonly idempotencyKey: object; readonly minPosition: object; readonly pageParams: readonly object[]; readonly idParam: object };

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

export const webhookSchemas = {
  Webhook: {
    type: 'object',
    required: ['object', 'id', 'url', 'event_types', 'description', 'enabled', 'created_at', 'updated_at', 'revision', 'position'],
    properties: {
      object: { const: 'webhook' },
      id: { type: 'string' },
      url: { type: 'string' },
      event_types: { type: 'array', items: { type: 'string' } },
      description: { type: 'string' },
      enabled: { type: 'boolean' },
      previous_secret_valid_until: { ...nullableTimestamp, description: 'While set and in the future, the secret before the last rotation also signs.' },
      secret: { type: 'string', description: 'Only in the answers to create and rotate-secret: `whsec_...`, shown once.' },
      created_at: timestamp,
      updated_at: timestamp,
      ...streamVersion,
    },
  },
  WebhookDelivery: {
    type: 'object',
    required: ['object', 'id', 'message_id', 'event_type', 'status', 'attempts', 'created_at', 'updated_at', 'revision', 'position'],
    properties: {
      object: { const: 'webhook_delivery' },
      id: { type: 'string' },
      webhook_id: { type: ['string', 'null'] },
      callback_url: { type: ['string', 'null'], description: "A task's callback URL, for task callbacks." },
      message_id: { type: 'string', description: 'Sent as `webhook-id`; a redelivery keeps it, so a receiver can de-duplicate.' },
      event_id: { type: ['string', 'null'] },
      event_type: { type: 'string', description: '`webhook.ping` for a ping.' },
      redelivery_of: { type: ['string', 'null'] },
      status: { enum: deliveryStatuses, description: '`pending -> retrying -> succeeded | failed` (given up after 24 h, or refused).' },
      attempts: { type: 'integer' },
      response_status: { type: ['integer', 'null'], description: 'HTTP status of the last answer; null when none came.' },
      duration_ms: { type: ['integer', 'null'] },
      error: { type: ['string', 'null'] },
      next_attempt_at: nullableTimestamp,
      created_at: timestamp,
      updated_at: timestamp,
      ...streamVersion,
    },
  },
} as const;

const webhook = { $ref: '#/components/schemas/Webhook' };
const delivery = { $ref: '#/components/schemas/WebhookDelivery' };
const deliveryId = { name: 'delivery_id', in: 'path', required: true, schema: { type: 'string' } };

export const webhookPaths = ({ idempotencyKey, minPosition, pageParams, idParam }: Params, listOf: (item: object) => object) => ({
  '/webhooks': {
    post: {
      summary: 'Subscribe a URL to events (admins); the answer holds the signing secret, shown once',
      parameters: [idempotencyKey],
      requestBody: { required: true, ...json(createWebhookBody) },
      responses: { '201': { description: 'The webhook, with its secret', ...json(webhook) } },
    },
    get: {
      summary: "List your team's webhooks, newest first",
      parameters: [...pageParams, minPosition],
      responses: { '200': { description: 'A page of webhooks', ...json(listOf(webhook)) } },
    },
  },
  '/webhooks/{id}': {
    get: { summary: 'Get a webhook', parameters: [idParam, minPosition], responses: { '200': { description: 'The webhook', ...json(webhook) } } },
    patch: {
      summary: 'Change the URL, event types or description of a webhook (admins)',
      parameters: [idParam],
      requestBody: { required: true, ...json(updateWebhookBody) },
      responses: { '200': { description: 'The webhook now', ...json(webhook) } },
    },
    delete: {
      summary: 'Delete a webhook (admins); deliveries under way stop at their next attempt',
      parameters: [idParam],
      responses: { '200': { description: 'Deleted', ...json(webhook) } },
    },
  },
  ...Object.fromEntries(
    (['enable', 'disable'] as const).map((action) => [
      `/webhooks/{id}/${action}`,
      {
        post: {
          summary: action === 'enable' ? 'Deliver to a webhook again (admins)' : 'Stop delivering to a webhook (admins)',
          parameters: [idParam, idempotencyKey],
          requestBody: json(emptyBody),
          responses: { '200': { description: 'The webhook now', ...json(webhook) } },
        },
      },
    ]),
  ),
  '/webhooks/{id}/rotate-secret': {
    post: {
      summary: 'Issue a new signing secret (admins); the previous one also signs for overlap_seconds, each delivery carrying both signatures',
      parameters: [idParam, idempotencyKey],
      requestBody: json(rotateSecretBody),
      responses: { '200': { description: 'The webhook, with its new secret, shown once', ...json(webhook) } },
    },
  },
  '/webhooks/{id}/ping': {
    post: {
      summary: 'Send a signed `webhook.ping` to the webhook (operators)',
      parameters: [idParam, idempotencyKey],
      requestBody: json(emptyBody),
      responses: { '202': { description: 'The delivery, on its way', ...json(delivery) } },
    },
  },
  '/webhooks/{id}/deliveries': {
    get: {
      summary: 'The delivery log of a webhook, newest first',
      parameters: [idParam, { name: 'status', in: 'query', schema: { enum: deliveryStatuses } }, ...pageParams, minPosition],
      responses: { '200': { description: 'A page of deliveries', ...json(listOf(delivery)) } },
    },
  },
  '/webhooks/{id}/deliveries/{delivery_id}': {
    get: {
      summary: 'One delivery: its status, last answer, attempts and next attempt',
      parameters: [idParam, deliveryId, minPosition],
      responses: { '200': { description: 'The delivery', ...json(delivery) } },
    },
  },
  '/webhooks/{id}/deliveries/{delivery_id}/redeliver': {
    post: {
      summary: 'Deliver the same message again, as a new delivery with the same webhook-id (operators)',
      parameters: [idParam, deliveryId, idempotencyKey],
      requestBody: json(emptyBody),
      responses: { '202': { description: 'The new delivery', ...json(delivery) } },
    },
  },
  '/task-callbacks/secret': {
    get: {
      summary: "The secret your team's task callbacks are signed with, `whsec_...` (admins)",
      responses: {
        '200': {
          description: 'The secret',
          ...json({ type: 'object', required: ['object', 'secret'], properties: { object: { const: 'task_callback_secret' }, secret: { type: 'string' } } }),
        },
      },
    },
  },
});
