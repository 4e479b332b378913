import { deliveryStatuses } from '../domain/webhook/events.js';

/** Webhook request bodies and query strings: validated by ajv and published in the OpenAPI document. */
const eventTypes = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  items: { type: 'string', pattern: '^(\\*|[a-z_]+\\.(\\*|[a-z_]+))$' },
  description: 'Event types (`task.completed`), whole categories (`task.*`), or `*` for every event of the team.',
} as const;
const url = {
  type: 'string',
  minLength: 1,
  maxLength: 2048,
  description: 'An http(s) URL; private, loopback and link-local addresses only if the team policy allows them.',
} as const;
const description = { type: 'string', maxLength: 1000 } as const;

export const createWebhookBody = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'event_types'],
  properties: { url, event_types: eventTypes, description, enabled: { type: 'boolean', description: 'Default true.' } },
} as const;

export const updateWebhookBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { url, event_types: eventTypes, description },
} as const;

export const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;

export const rotateSecretBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    overlap_seconds: {
      type: 'integer',
      minimum: 0,
      maximum: 604_800,
      description: 'How long the previous secret keeps signing beside the new one (both signatures are sent). Default 86400 (24 h); 0 stops it at once.',
    },
  },
} as const;

export const listDeliveriesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { status: { enum: deliveryStatuses }, limit: { type: 'string' }, cursor: { type: 'string' }, min_position: { type: 'string' } },
} as const;

export const listWebhooksQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'string' }, cursor: { type: 'string' }, min_position: { type: 'string' } },
} as const;
