import { actorTypes } from './wire-event-schema.js';

const filters = {
  actor_type: { enum: actorTypes },
  actor_id: { type: 'string', minLength: 1, description: 'The API key id, agent instance id, workflow or process that acted.' },
  action: { type: 'string', minLength: 1, description: 'e.g. `task.submit`, `instance.suspend`, `team.issue_api_key`.' },
  resource_type: { type: 'string', minLength: 1, description: 'The aggregate: `task`, `instance`, `team`, `drift` (of an instance) or `alert`.' },
  resource_id: { type: 'string', minLength: 1 },
  request_id: { type: 'string', minLength: 1 },
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
