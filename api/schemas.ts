import { healthStates, instanceStatuses } from '../domain/instance/events.js';
import { taskStatuses } from '../domain/task/events.js';
import { roles } from '../domain/team/events.js';
import { metricRanges, metricSteps } from '../processes/instance-metrics.js';

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
    callback_url: {
      type: 'string',
      minLength: 1,
      maxLength: 2048,
      description:
        "Where the task's terminal event (completed, failed, cancelled) is POSTed, signed as a Standard Webhooks delivery with your team's task callback secret (GET /task-callbacks/secret) and retried like webhook deliveries. http(s) only; private, loopback and link-local addresses only if the team policy allows them.",
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
    instance_id: { type: 'string', minLength: 1 },
    rerun_of: { type: 'string', minLength: 1 },
    created_after: { type: 'string' },
    created_before: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    min_position: { type: 'string' },
  },
} as const;

/** `GET /<collection>/:id/history`: `from` and `to` are RFC 3339 instants, `type` a comma-separated list. */
export const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    order: { enum: ['asc', 'desc'] },
    type: { type: 'string', minLength: 1 },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
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
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    role: { enum: roles },
    expires_at: { type: 'string', format: 'date-time', description: 'When the key stops working (RFC 3339, in the future). Default: never.' },
  },
} as const;

/** A name, of a key or a team. */
export const renameBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

/** The longest grace period a rotation grants the secret it replaces: 30 days. */
export const maxRotationGraceSeconds = 30 * 24 * 60 * 60;

export const rotateApiKeyBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    grace_seconds: {
      type: 'integer',
      minimum: 0,
      maximum: maxRotationGraceSeconds,
      description: 'How long the previous secret keeps working (0: it stops at once). Default: 86400 (24 h).',
    },
  },
} as const;

const instanceSpecProperties = {
  skills: {
    type: 'array',
    maxItems: 200,
    description: 'Skills the instance must have. Default: none.',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'version'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 100 },
        version: { type: 'string', minLength: 1, maxLength: 100 },
        enabled: { type: 'boolean', description: '`false` declares a skill that must stay disabled. Default: true.' },
        parameters: {
          type: 'object',
          description:
            'What the skill was installed with from the catalog (`POST /instances/{id}/skills` checks them against its version; here they are kept as sent).',
        },
      },
    },
  },
  runtime_version: { type: ['string', 'null'], minLength: 1, maxLength: 100, description: 'Agent runtime version; null (the default) for any.' },
  settings: {
    type: 'object',
    description: 'Agent settings. Values of settings whose names look secret (token, password, key, secret...) are never shown, only "[redacted]".',
  },
  resources: {
    type: 'object',
    additionalProperties: false,
    description: 'Resources the instance must have; null or absent means no requirement.',
    properties: {
      cpus: { type: ['integer', 'null'], minimum: 1, maximum: 1024 },
      memory_mb: { type: ['integer', 'null'], minimum: 1, maximum: 16 * 1024 * 1024 },
      ports: { type: 'array', maxItems: 100, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 65535 } },
      region: { type: ['string', 'null'], minLength: 1, maxLength: 100 },
    },
  },
  max_concurrent_tasks: { type: 'integer', minimum: 1, maximum: 64, description: 'Task slots of the instance. Default: 1.' },
} as const;

export const deployInstanceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'provider', 'spec'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
      description: 'Lowercase letters, digits and hyphens, beginning and ending with a letter or digit, like a DNS label.',
    },
    provider: { type: 'string', minLength: 1, maxLength: 100, description: 'Where the instance runs, e.g. `local`; one of the providers this server has.' },
    spec: { type: 'object', additionalProperties: false, properties: instanceSpecProperties, description: 'The desired configuration.' },
  },
} as const;

/** In a merge patch, null removes a member: here it puts the spec field back to its default. */
const resettable = (properties: Record<string, { readonly type: string | readonly string[] }>) =>
  Object.fromEntries(Object.entries(properties).map(([name, schema]) => [name, { ...schema, type: [...new Set([schema.type, 'null'].flat())] }]));

export const patchInstanceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['spec'],
  properties: {
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: resettable(instanceSpecProperties),
      description:
        'A JSON merge patch (RFC 7396) of the desired spec: a field given replaces the current one, null puts it back to its default; `settings` merge name by name, null removing a setting. A secret setting sent back as "[redacted]" keeps its value.',
    },
  },
} as const;

export const destroyInstanceBody = {
  type: 'object',
  additionalProperties: false,
  properties: { backup_first: { type: 'boolean', description: 'Back the instance up before destroying it. Default: false.' } },
} as const;

/** Suspend, resume and backup take no options. */
export const instanceActionBody = { type: 'object', additionalProperties: false, properties: {} } as const;

export const bulkInstanceActions = ['suspend', 'resume', 'restart', 'destroy', 'backup'] as const;

export const bulkInstanceActionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'instance_ids'],
  properties: {
    action: { enum: bulkInstanceActions },
    instance_ids: { type: 'array', minItems: 1, maxItems: 100, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 100 } },
    backup_first: { type: 'boolean', description: 'For `destroy` only: back each instance up first. Default: false.' },
  },
} as const;

/** What instance lists sort by; `last_heartbeat_at` comes from the heartbeat metrics, the others from the read model. */
export const instanceSorts = ['name', 'created_at', 'last_heartbeat_at'] as const;

export const instanceMetricsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    range: { enum: Object.keys(metricRanges), default: '1h', description: 'How far back from now.' },
    step: { enum: Object.keys(metricSteps), description: 'Width of each point; by range 1m, 5m, 15m or 1h unless given.' },
    min_position: { type: 'string' },
  },
} as const;

export const listInstancesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { enum: instanceStatuses },
    provider: { type: 'string', minLength: 1, description: 'One of the providers instances are deployed with, e.g. `local`.' },
    health: { enum: healthStates },
    skill: { type: 'string', minLength: 1, maxLength: 100, description: 'Only instances whose spec has this skill, by name.' },
    q: { type: 'string', minLength: 1, maxLength: 100, description: 'Part of the name (A-Z case-insensitive).' },
    sort: {
      enum: instanceSorts.flatMap((field) => [field, `-${field}`]),
      description:
        'By `name`, `created_at` or `last_heartbeat_at`, `-` first for descending (never-beating instances compare as the lowest); newest first when absent.',
    },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    min_position: { type: 'string' },
  },
} as const;
