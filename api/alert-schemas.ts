import { alertStatuses } from '../domain/alert/events.js';

/** Alert request bodies and query strings: validated by ajv and published in the OpenAPI document. */
export const listAlertsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { enum: alertStatuses },
    rule: { type: 'string', minLength: 1, description: 'The kind of rule, e.g. `no_heartbeat`, `task_failure_rate`.' },
    rule_id: { type: 'string', minLength: 1, description: 'Alerts raised by this alert rule.' },
    subject_id: { type: 'string', minLength: 1, description: 'Alerts about this instance (or other subject).' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    min_position: { type: 'string' },
  },
} as const;

export const acknowledgeAlertBody = { type: 'object', additionalProperties: false, properties: {} } as const;

export const resolveAlertBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'Why it is resolved. Default: "resolved by an operator".' } },
} as const;

/** Many alerts at once (bulk acknowledge or resolve): each is acted on by itself, and reported by itself. */
export const bulkAcknowledgeAlertsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['ids'],
  properties: { ids: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 100 } } },
} as const;

export const bulkResolveAlertsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['ids'],
  properties: { ...bulkAcknowledgeAlertsBody.properties, ...resolveAlertBody.properties },
} as const;
