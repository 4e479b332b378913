import { taskStatuses } from '../domain/task/events.js';
import { roles } from '../domain/team/events.js';

/** Request bodies and query strings: validated by ajv and published in the OpenAPI document. */
export const submitTaskBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'input'],
  properties: {
    kind: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[a-z][a-z0-9_.-]*$', description: 'What the agent should do, e.g. `echo`.' },
    input: { type: 'object', description: 'Arguments of the task kind.' },
    instance_id: { type: 'string', minLength: 1, maxLength: 100, description: 'Run only on this instance.' },
    required_skills: {
      type: 'array',
      maxItems: 50,
      items: { type: 'string', minLength: 1, maxLength: 100 },
      description: 'Skills an instance must have to run the task.',
    },
    timeout_seconds: { type: 'integer', minimum: 1, maximum: 7 * 24 * 3600, description: 'Fail the task if it has not finished by then.' },
    retry: {
      type: 'object',
      additionalProperties: false,
      description: 'How often a run that fails with a retryable error (or loses its agent) is tried again. Default: 3 attempts, 1 s backoff doubling.',
      properties: {
        max_attempts: { type: 'integer', minimum: 1, maximum: 20, description: 'Runs allowed in all, the first included.' },
        backoff_seconds: { type: 'number', minimum: 0, maximum: 3600, description: 'Wait before the first retry, doubled for each later one.' },
      },
    },
  },
} as const;

export const cancelTaskBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 1000 } },
} as const;

export const listTasksQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { enum: taskStatuses },
    kind: { type: 'string', minLength: 1 },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    min_position: { type: 'string' },
  },
} as const;

export const createTeamBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const createApiKeyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'role'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, role: { enum: roles } },
} as const;
