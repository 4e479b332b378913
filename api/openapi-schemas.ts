/** Response shapes of the task, instance and alert API, for the OpenAPI document (drift's are in drift-openapi.ts). */
import { alertSeverities, alertStatuses } from '../domain/alert/events.js';
import { healthStates, instanceStatuses, operatorActionNames } from '../domain/instance/index.js';
import { taskStatuses, terminalStatuses } from '../domain/task/events.js';
import { metricRanges, metricSteps } from '../processes/instance-metrics.js';
import { deployInstanceBody } from './schemas.js';

export const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['type', 'code', 'message', 'request_id'],
      properties: {
        type: {
          enum: ['invalid_request_error', 'authentication_error', 'permission_error', 'not_found_error', 'conflict_error', 'rate_limit_error', 'api_error'],
        },
        code: { type: 'string' },
        message: { type: 'string' },
        param: { type: 'string', description: 'The offending field, for validation errors.' },
        request_id: { type: 'string' },
      },
    },
  },
} as const;

/** Where a representation stands in its stream and in the log: every aggregate's view carries it. */
export const streamVersion = {
  revision: { type: 'integer', description: 'Stream revision this representation reflects.' },
  position: { type: 'integer', description: 'Global log position of that revision; pass as X-Min-Position to read your write.' },
} as const;

export const taskSchema = {
  type: 'object',
  properties: {
    object: { const: 'task' },
    id: { type: 'string' },
    kind: { type: 'string' },
    status: { enum: taskStatuses },
    input: { type: 'object' },
    requested_instance_id: { type: ['string', 'null'] },
    instance_id: { type: ['string', 'null'] },
    required_skills: { type: 'array', items: { type: 'string' } },
    timeout_seconds: { type: ['integer', 'null'] },
    progress: { type: ['object', 'null'] },
    outputs: { type: ['object', 'null'] },
    error: { type: ['object', 'null'] },
    cancel_reason: { type: ['string', 'null'] },
    attempts: { type: 'integer' },
    max_attempts: { type: 'integer' },
    rerun_of: { type: ['string', 'null'], description: 'The finished task this one runs again (`POST /tasks/{id}/rerun`), or null.' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    started_at: { type: ['string', 'null'], format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
    ...streamVersion,
  },
} as const;

export const taskResultSchema = {
  type: 'object',
  required: ['object', 'task_id', 'status', 'outputs', 'error', 'finished_at'],
  properties: {
    object: { const: 'task_result' },
    task_id: { type: 'string' },
    status: { enum: terminalStatuses },
    outputs: { type: ['object', 'null'], description: 'What a completed task produced.' },
    error: { type: ['object', 'null'], description: 'Why a failed task failed.' },
    finished_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const taskEventSchema = {
  type: 'object',
  description: "The `data` of each Server-Sent Event; the event's `id` is `revision` and its `event` is `type`. Comments (`: keep-alive`) come every 15 s.",
  properties: {
    id: { type: 'string', description: 'Event id.' },
    type: { type: 'string', description: 'Event type, e.g. `task.progressed`; see /event-schemas.' },
    revision: { type: 'integer', description: "Revision in the task's stream; send it back as Last-Event-ID to resume." },
    position: { type: 'integer', description: 'Position in the global log.' },
    occurred_at: { type: 'string', format: 'date-time' },
    data: { type: 'object' },
  },
} as const;

const instanceErrorSchema = {
  type: ['object', 'null'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

export const instanceSchema = {
  type: 'object',
  properties: {
    object: { const: 'instance' },
    id: { type: 'string' },
    name: { type: 'string' },
    provider: { type: 'string' },
    status: { enum: instanceStatuses },
    pending: { enum: ['suspend', 'resume', 'restart', null], description: 'A suspend, resume or restart requested and not yet carried out.' },
    health: { enum: healthStates, description: 'From heartbeats; not a lifecycle state.' },
    health_reason: { type: ['string', 'null'] },
    spec: { ...deployInstanceBody.properties.spec, description: 'The desired spec, every field filled in; secret-looking settings show "[redacted]".' },
    skills: { type: 'array', items: { type: 'string' }, description: 'Names of the skills of the spec (what `?skill=` filters on).' },
    endpoint: { type: ['string', 'null'], description: 'Where the provider says the instance is reached, once provisioned.' },
    agent: {
      type: ['object', 'null'],
      properties: { version: { type: 'string' }, hostname: { type: ['string', 'null'] }, registered_at: { type: 'string', format: 'date-time' } },
    },
    backups: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          backup_id: { type: 'string' },
          status: { enum: ['requested', 'completed', 'failed'] },
          location: { type: ['string', 'null'] },
          size_bytes: { type: ['integer', 'null'] },
          error: instanceErrorSchema,
          requested_at: { type: 'string', format: 'date-time' },
          finished_at: { type: ['string', 'null'], format: 'date-time' },
        },
      },
    },
    last_error: { ...instanceErrorSchema, description: 'Why provisioning or the last restart failed, if one did.' },
    metrics: {
      type: ['object', 'null'],
      required: ['at', 'values'],
      properties: { at: { type: 'string', format: 'date-time' }, values: { type: 'object', additionalProperties: { type: 'number' } } },
      description:
        'GET /instances/{id} only: the latest heartbeat metrics (each metric as last reported, and when), null when none are kept. They change without a new revision: while there are any, this read is never answered 304.',
    },
    allowed_actions: { type: 'array', items: { enum: operatorActionNames }, description: 'Operator actions the current state allows.' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    ...streamVersion,
  },
} as const;

export const instanceMetricsSchema = {
  type: 'object',
  required: ['object', 'instance_id', 'range', 'step', 'from', 'to', 'points'],
  properties: {
    object: { const: 'instance_metrics' },
    instance_id: { type: 'string' },
    range: { enum: Object.keys(metricRanges) },
    step: { enum: Object.keys(metricSteps) },
    from: { type: 'string', format: 'date-time', description: 'Start of the first step.' },
    to: { type: 'string', format: 'date-time', description: 'End of the current minute.' },
    points: {
      type: 'array',
      description: 'One per step with samples, oldest first; steps without heartbeats are left out.',
      items: {
        type: 'object',
        required: ['at', 'values'],
        properties: {
          at: { type: 'string', format: 'date-time', description: 'Start of the step.' },
          values: {
            type: 'object',
            description: 'Per metric reported in the step.',
            additionalProperties: {
              type: 'object',
              required: ['avg', 'max', 'samples'],
              properties: { avg: { type: 'number' }, max: { type: 'number' }, samples: { type: 'integer' } },
            },
          },
        },
      },
    },
  },
} as const;

export const instanceLifecycleSchema = {
  type: 'object',
  required: ['object', 'instance_id', 'status', 'pending', 'allowed_actions', 'all_actions'],
  properties: {
    object: { const: 'instance_lifecycle' },
    instance_id: { type: 'string' },
    status: { enum: instanceStatuses },
    pending: { enum: ['suspend', 'resume', null] },
    allowed_actions: { type: 'array', items: { enum: operatorActionNames }, description: 'Actions the current state allows; the others answer 409.' },
    all_actions: { type: 'array', items: { enum: operatorActionNames } },
  },
} as const;

export const bulkResultSchema = {
  type: 'object',
  required: ['object', 'results'],
  properties: {
    object: { const: 'bulk_result' },
    results: {
      type: 'array',
      description: 'One entry per instance id, in the order given; each instance is acted on independently.',
      items: {
        type: 'object',
        required: ['instance_id', 'status'],
        properties: {
          instance_id: { type: 'string' },
          status: { enum: [202, 404, 409], description: '202 requested; 404 no such instance in your team; 409 not allowed in its state.' },
          revision: { type: 'integer', description: 'For 202: the instance stream revision written.' },
          position: { type: 'integer', description: 'For 202: its global log position.' },
          backup_id: { type: 'string', description: 'For 202 to `backup`: the id of the backup requested.' },
          error: { type: 'object', properties: { type: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  },
} as const;

const actorSchema = {
  type: ['object', 'null'],
  properties: { type: { enum: ['user', 'api_key', 'agent', 'workflow', 'system'] }, id: { type: 'string' } },
} as const;

export const alertSchema = {
  type: 'object',
  properties: {
    object: { const: 'alert' },
    id: { type: 'string' },
    rule: {
      type: 'string',
      description:
        "The kind of rule that raised it: `no_heartbeat`, `task_failure_rate`, `open_drift`, `metric_threshold` (`instance_unhealthy` on alerts raised before rules were a team's).",
    },
    rule_id: {
      type: ['string', 'null'],
      description: "The alert rule (`/alert-rules/{id}`) that raised it; null on alerts raised before rules were a team's.",
    },
    severity: { enum: alertSeverities },
    status: { enum: alertStatuses, description: '`open -> acknowledged -> resolved`; a rule resolves its alert once the condition clears.' },
    subject: { type: 'object', properties: { type: { type: 'string', description: 'e.g. `instance`.' }, id: { type: 'string' } } },
    message: { type: 'string' },
    raised_at: { type: 'string', format: 'date-time' },
    acknowledged_at: { type: ['string', 'null'], format: 'date-time' },
    acknowledged_by: actorSchema,
    resolved_at: { type: ['string', 'null'], format: 'date-time' },
    resolved_by: { ...actorSchema, description: 'An API key, or `system` when its rule resolved it.' },
    resolution_reason: { type: ['string', 'null'] },
    updated_at: { type: 'string', format: 'date-time' },
    ...streamVersion,
  },
} as const;
