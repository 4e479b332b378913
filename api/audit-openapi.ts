/** The OpenAPI description of the audit log (`GET /audit-logs`, `GET /audit-logs/export`). */
import { auditActorTypes, auditResults } from '../projections/audit/audit-log-projector.js';
import { auditFilterParams } from './audit-schemas.js';

const nullableString = { type: ['string', 'null'] };

const auditLogSchema = {
  type: 'object',
  description: 'One command: who did what to which resource, the events it wrote, when and from where.',
  required: [
    'object',
    'id',
    'occurred_at',
    'last_at',
    'count',
    'actor',
    'action',
    'resource',
    'event_types',
    'result',
    'request_id',
    'correlation_id',
    'causation_id',
    'client_ip',
    'user_agent',
    'first_position',
    'last_position',
  ],
  properties: {
    object: { const: 'audit_log' },
    id: { type: 'string', description: 'The id of the first event the command wrote.' },
    occurred_at: { type: 'string', format: 'date-time', description: 'When the command ran; for refused requests, the first of them.' },
    last_at: { type: 'string', format: 'date-time', description: 'The last of `count` refused requests; `occurred_at` for a command.' },
    count: { type: 'integer', minimum: 1, description: 'Refused requests alike from one source within one window; 1 for a command.' },
    actor: {
      type: 'object',
      required: ['type', 'id', 'name'],
      properties: {
        type: { enum: auditActorTypes },
        id: { type: 'string', description: 'The API key id, agent instance id, workflow or process; for `anonymous`, the client IP (`*` for folded sources).' },
        name: { ...nullableString, description: "The API key's name, for a key of your team." },
      },
    },
    action: { type: 'string', description: '`<resource type>.<command>`, e.g. `task.submit`; the first event type for events stored without their command.' },
    resource: {
      type: 'object',
      required: ['type', 'id'],
      properties: { type: { type: 'string' }, id: { type: 'string' } },
    },
    event_types: { type: 'array', items: { type: 'string' }, description: 'The types of the events the command wrote, in order.' },
    result: {
      enum: auditResults,
      description: "`succeeded`: a command; `unauthenticated` (401), `forbidden` (403), `not_found` (404 on an id not your team's): refused requests.",
    },
    request_id: nullableString,
    correlation_id: { type: 'string' },
    causation_id: nullableString,
    client_ip: nullableString,
    user_agent: nullableString,
    first_position: { type: 'integer', minimum: 1, description: 'Log position of the first event (GET /events?from= reads on from before it).' },
    last_position: { type: 'integer', minimum: 1 },
  },
} as const;

export const auditSchemas = { AuditLog: auditLogSchema };

const csvDescription = [
  'A header row, then one row per record (RFC 4180, CRLF line ends): id, occurred_at, last_at, count, actor_type, actor_id, actor_name, action,',
  'resource_type, resource_id, event_types (space-separated), result, request_id, correlation_id, causation_id, client_ip,',
  'user_agent, first_position, last_position.',
].join(' ');

export const auditPaths = (pageParams: readonly object[], minPosition: object, listOf: (item: object) => object) => ({
  '/audit-logs': {
    get: {
      summary: "Your team's audit log, newest first (auditors and admins)",
      parameters: [...pageParams, ...auditFilterParams, minPosition],
      responses: {
        '200': { description: 'A page of audit records', content: { 'application/json': { schema: listOf({ $ref: '#/components/schemas/AuditLog' }) } } },
      },
    },
  },
  '/audit-logs/export': {
    get: {
      summary: "All of your team's audit records in a range, newest first, streamed as NDJSON or (Accept: text/csv) CSV (auditors and admins)",
      parameters: auditFilterParams,
      responses: {
        '200': {
          description: 'The records',
          content: {
            'application/x-ndjson': { schema: { $ref: '#/components/schemas/AuditLog' } },
            'text/csv': { schema: { type: 'string', description: csvDescription } },
          },
        },
      },
    },
  },
});
