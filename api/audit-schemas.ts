import { auditActorTypes, auditResults } from '../projections/audit/audit-log-projector.js';

const filters = {
  actor_type: { enum: auditActorTypes, description: '`anonymous`: a request refused without a valid key, known by its address.' },
  actor_id: { type: 'string', minLength: 1, description: 'The API key id, agent instance id, workflow or process that acted.' },
  action: { type: 'string', minLength: 1, description: 'e.g. `task.submit`, `instance.suspend`, `team.issue_api_key`; `access.refused` for refused requests.' },
  resource_type: {
    type: 'string',
    minLength: 1,
    description: 'The aggregate: `task`, `instance`, `team`, `drift` (of an instance) or `alert`; `route` for refused requests.',
  },
  resource_id: { type: 'string', minLength: 1 },
  request_id: { type: 'string', minLength: 1, description: 'For refused requests, the first of the record.' },
  result: { enum: auditResults, description: '`succeeded`: a command; the others: refused requests (401, 403, 404).' },
  from: { type: 'string', format: 'date-time', description: 'Records at or after this instant (RFC 3339).' },
  to: { type: 'string', format: 'date-time', description: 'Records before this instant (RFC 3339).' },
} as const;

/** The filters of the audit log, shared by the list and the export. */
export const auditFilterQuery = { type: 'object', additionalProperties: false, properties: filters } as const;

export const listAuditLogsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...filters, limit: { type: 'string' }, cursor: { type: 'string' }, min_position: { type: 'string' } },
} as const;

export const auditFilterParams = Object.entries(filters).map(([name, schema]) => ({ name, in: 'query', schema }));
