/** The OpenAPI description of alert rules (`/alert-rules`), and of alerts handled in bulk and summed up. */
import { alertRuleKinds } from '../domain/alert-rule/index.js';
import { alertSeverities, alertStatuses } from '../domain/alert/events.js';
import { createAlertRuleBody, emptyBody, patchAlertRuleBody } from './alert-rule-schemas.js';
import { bulkAcknowledgeAlertsBody, bulkResolveAlertsBody } from './alert-schemas.js';
import { json } from './openapi-common.js';
import { streamVersion } from './openapi-schemas.js';

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } };
const minPosition = { name: 'X-Min-Position', in: 'header', schema: { type: 'integer', minimum: 0 } };
const ifMatch = { name: 'If-Match', in: 'header', schema: { type: 'string' }, description: 'The ETag of the rule as read: 412 if it changed since.' };
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];
const rule = { $ref: '#/components/schemas/AlertRule' };
const listOf = (item: object) => ({
  type: 'object',
  required: ['data', 'has_more', 'next_cursor'],
  properties: { data: { type: 'array', items: item }, has_more: { type: 'boolean' }, next_cursor: { type: ['string', 'null'] } },
});

const alertRuleSchema = {
  type: 'object',
  description: "One of the team's alert rules; the rules are evaluated per team every few seconds over the fleet's readings.",
  properties: {
    object: { const: 'alert_rule' },
    id: { type: 'string' },
    name: { type: 'string' },
    kind: { enum: alertRuleKinds },
    condition: createAlertRuleBody.properties.condition,
    severity: { enum: alertSeverities, description: 'The severity of the alerts it raises.' },
    channels: createAlertRuleBody.properties.channels,
    status: { enum: ['enabled', 'disabled', 'deleted'], description: '`deleted` only when read as of a past moment or in its history.' },
    built_in: { type: ['string', 'null'], description: 'Which default rule it is (`no_heartbeat`, `task_failure_rate`), null for one the team made.' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    ...streamVersion,
  },
} as const;

const countsByStatus = { type: 'object', properties: Object.fromEntries(alertStatuses.map((status) => [status, { type: 'integer', minimum: 0 }])) };

const alertSummarySchema = {
  type: 'object',
  properties: {
    object: { const: 'alert_summary' },
    by_status: countsByStatus,
    by_severity: { type: 'object', properties: Object.fromEntries(alertSeverities.map((severity) => [severity, countsByStatus])) },
  },
} as const;

const alertBulkResultSchema = {
  type: 'object',
  required: ['object', 'results'],
  properties: {
    object: { const: 'bulk_result' },
    results: {
      type: 'array',
      description: 'One entry per alert id, in the order given; each alert is acted on by itself.',
      items: {
        type: 'object',
        required: ['id', 'status'],
        properties: {
          id: { type: 'string' },
          status: { enum: [200, 404, 409], description: '200 done; 404 no such alert in your team; 409 not allowed in its state.' },
          alert: { $ref: '#/components/schemas/Alert' },
          error: { type: 'object', properties: { type: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
} as const;

export const alertingSchemas = { AlertRule: alertRuleSchema, AlertSummary: alertSummarySchema, AlertBulkResult: alertBulkResultSchema };

/** Registered before `/alerts/{id}`, whose id they would otherwise be. */
export const alertBulkPaths = {
  '/alerts/summary': {
    get: {
      summary: "The team's alerts counted by severity and status",
      parameters: [minPosition],
      responses: { '200': { description: 'The counts', ...json({ $ref: '#/components/schemas/AlertSummary' }) } },
    },
  },
  '/alerts/acknowledge': {
    post: {
      summary: 'Acknowledge many alerts (operators); each one reported by itself',
      parameters: [idempotencyKey],
      requestBody: json(bulkAcknowledgeAlertsBody),
      responses: { '200': { description: 'One result per alert', ...json({ $ref: '#/components/schemas/AlertBulkResult' }) } },
    },
  },
  '/alerts/resolve': {
    post: {
      summary: 'Resolve many alerts (operators), with one reason; each one reported by itself',
      parameters: [idempotencyKey],
      requestBody: json(bulkResolveAlertsBody),
      responses: { '200': { description: 'One result per alert', ...json({ $ref: '#/components/schemas/AlertBulkResult' }) } },
    },
  },
};

export const alertRulePaths = {
  '/alert-rules': {
    get: {
      summary: "List the team's alert rules (its default rules among them), newest first",
      parameters: [
        ...pageParams,
        { name: 'status', in: 'query', schema: { enum: ['enabled', 'disabled'] } },
        { name: 'kind', in: 'query', schema: { enum: alertRuleKinds } },
        minPosition,
      ],
      responses: { '200': { description: 'A page of alert rules', ...json(listOf(rule)) } },
    },
    post: {
      summary: 'Create an alert rule (operators); it is enabled',
      parameters: [idempotencyKey],
      requestBody: json(createAlertRuleBody),
      responses: { '201': { description: 'The rule', ...json(rule) } },
    },
  },
  '/alert-rules/{id}': {
    get: {
      summary: 'Get an alert rule',
      parameters: [idParam, minPosition],
      responses: { '200': { description: 'The rule', ...json(rule) } },
    },
    patch: {
      summary: 'Change a rule (operators): its name, condition, severity or channels',
      parameters: [idParam, ifMatch],
      requestBody: json(patchAlertRuleBody),
      responses: { '200': { description: 'The rule as changed', ...json(rule) } },
    },
    delete: {
      summary: 'Delete a rule (operators); its open alerts are resolved. A deleted default rule is not created again',
      parameters: [idParam, ifMatch],
      responses: { '200': { description: 'The rule, deleted', ...json(rule) } },
    },
  },
  '/alert-rules/{id}/enable': {
    post: {
      summary: 'Enable a rule (operators); enabling an enabled rule changes nothing',
      parameters: [idParam, idempotencyKey, ifMatch],
      requestBody: json(emptyBody),
      responses: { '200': { description: 'The rule', ...json(rule) } },
    },
  },
  '/alert-rules/{id}/disable': {
    post: {
      summary: 'Disable a rule (operators); its open alerts are resolved, and it raises none until enabled',
      parameters: [idParam, idempotencyKey, ifMatch],
      requestBody: json(emptyBody),
      responses: { '200': { description: 'The rule', ...json(rule) } },
    },
  },
};
