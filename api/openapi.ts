import {
  bulkInstanceActionBody,
  cancelTaskBody,
  createApiKeyBody,
  createTeamBody,
  deployInstanceBody,
  destroyInstanceBody,
  instanceActionBody,
  patchInstanceBody,
  submitTaskBody,
} from './schemas.js';
import { acknowledgeAlertBody, resolveAlertBody } from './alert-schemas.js';
import { alertSeverities, alertStatuses } from '../domain/alert/events.js';
import { dismissDriftBody, driftActionBody, teamPolicyBody } from './drift-schemas.js';
import { configurationSnapshotSchema, driftEventSchema, driftSummarySchema, teamPolicySchema } from './drift-openapi.js';
import { severities } from '../domain/drift/index.js';
import { driftViewStatuses } from '../projections/drift/drift-view.js';
import { healthStates, instanceStatuses, operatorActionNames } from '../domain/instance/index.js';
import { taskStatuses, terminalStatuses } from '../domain/task/events.js';

const errorSchema = {
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

const taskSchema = {
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
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    started_at: { type: ['string', 'null'], format: 'date-time' },
    finished_at: { type: ['string', 'null'], format: 'date-time' },
    revision: { type: 'integer', description: 'Stream revision this representation reflects.' },
    position: { type: 'integer', description: 'Global log position of that revision; pass as X-Min-Position to read your write.' },
  },
} as const;

const taskResultSchema = {
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

const taskEventSchema = {
  type: 'object',
  description:
    "The `data` of each Server-Sent Event; the event's `id` is `revision` and its `event` is `type`. Comments (`: keep-alive`) come every 15 s.",
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

const instanceSchema = {
  type: 'object',
  properties: {
    object: { const: 'instance' },
    id: { type: 'string' },
    name: { type: 'string' },
    provider: { type: 'string' },
    status: { enum: instanceStatuses },
    pending: { enum: ['suspend', 'resume', null], description: 'A suspend or resume requested and not yet carried out.' },
    health: { enum: healthStates, description: 'From heartbeats; not a lifecycle state.' },
    health_reason: { type: ['string', 'null'] },
    spec: { ...deployInstanceBody.properties.spec, description: 'The desired spec, every field filled in; secret-looking settings show "[redacted]".' },
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
    last_error: { ...instanceErrorSchema, description: 'Why provisioning failed, if it did.' },
    allowed_actions: { type: 'array', items: { enum: operatorActionNames }, description: 'Operator actions the current state allows.' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    revision: { type: 'integer', description: 'Stream revision this representation reflects.' },
    position: { type: 'integer', description: 'Global log position of that revision; pass as X-Min-Position to read your write.' },
  },
} as const;

const instanceLifecycleSchema = {
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

const bulkResultSchema = {
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

const alertSchema = {
  type: 'object',
  properties: {
    object: { const: 'alert' },
    id: { type: 'string' },
    rule: { type: 'string', description: 'The rule that raised it: `instance_unhealthy` (missed heartbeats), `task_failure_rate` (task runs failing on one instance).' },
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
    revision: { type: 'integer', description: 'Stream revision this representation reflects.' },
    position: { type: 'integer', description: 'Global log position of that revision; pass as X-Min-Position to read your write.' },
  },
} as const;

const listOf = (item: object) => ({
  type: 'object',
  required: ['data', 'has_more', 'next_cursor'],
  properties: { data: { type: 'array', items: item }, has_more: { type: 'boolean' }, next_cursor: { type: ['string', 'null'] } },
});

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = { default: { description: 'Typed error', ...json({ $ref: '#/components/schemas/Error' }) } };
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } };
const minPosition = { name: 'X-Min-Position', in: 'header', schema: { type: 'integer', minimum: 0 } };
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const instanceRef = { $ref: '#/components/schemas/Instance' };

/** OpenAPI 3.1, built from the same schemas ajv validates requests with. */
export const openApiDocument = () => ({
  openapi: '3.1.0',
  info: { title: 'Bosun API', version: '1', description: 'Control plane for fleets of AI agent instances.' },
  servers: [{ url: '/api/v1' }],
  security: [{ bearer: [] }, { apiKey: [] }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
    },
    schemas: {
      Error: errorSchema,
      Task: taskSchema,
      TaskResult: taskResultSchema,
      TaskEvent: taskEventSchema,
      Instance: instanceSchema,
      InstanceLifecycle: instanceLifecycleSchema,
      BulkResult: bulkResultSchema,
      DriftEvent: driftEventSchema,
      ConfigurationSnapshot: configurationSnapshotSchema,
      DriftSummary: driftSummarySchema,
      TeamPolicy: teamPolicySchema,
      Alert: alertSchema,
    },
  },
  paths: {
    '/tasks': {
      post: {
        summary: 'Submit a task',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(submitTaskBody) },
        responses: { '202': { description: 'Accepted', ...json({ $ref: '#/components/schemas/Task' }) }, ...errors },
      },
      get: {
        summary: 'List tasks, newest first',
        parameters: [
          ...pageParams,
          { name: 'status', in: 'query', schema: { enum: taskStatuses } },
          { name: 'kind', in: 'query', schema: { type: 'string' } },
          minPosition,
        ],
        responses: { '200': { description: 'A page of tasks', ...json(listOf({ $ref: '#/components/schemas/Task' })) }, ...errors },
      },
    },
    '/tasks/{id}': {
      get: {
        summary: 'Get a task',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'The task', ...json({ $ref: '#/components/schemas/Task' }) }, ...errors },
      },
    },
    '/tasks/{id}/cancel': {
      post: {
        summary: 'Cancel a task that has not finished',
        parameters: [idParam, idempotencyKey],
        requestBody: json(cancelTaskBody),
        responses: { '200': { description: 'The cancelled task', ...json({ $ref: '#/components/schemas/Task' }) }, ...errors },
      },
    },
    '/tasks/{id}/events': {
      get: {
        summary: 'Live events of a task (Server-Sent Events): its stream so far, then new events; ends after the terminal one',
        parameters: [
          idParam,
          { name: 'Last-Event-ID', in: 'header', schema: { type: 'integer', minimum: 0 }, description: 'Resume after this revision.' },
          { name: 'last_event_id', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Resume after this revision.' },
        ],
        responses: { '200': { description: 'An event stream', content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/TaskEvent' } } } }, ...errors },
      },
    },
    '/tasks/{id}/result': {
      get: {
        summary: 'The result of a finished task; 409 task_not_finished before',
        parameters: [
          idParam,
          {
            name: 'wait_seconds',
            in: 'query',
            schema: { type: 'integer', minimum: 0, maximum: 60, default: 0 },
            description: 'Wait up to this long for the task to finish before answering 409.',
          },
          minPosition,
        ],
        responses: { '200': { description: 'The result', ...json({ $ref: '#/components/schemas/TaskResult' }) }, ...errors },
      },
    },
    '/instances': {
      post: {
        summary: 'Deploy an instance (operators); it starts provisioning',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(deployInstanceBody) },
        responses: { '202': { description: 'Accepted; Location names the instance', ...json(instanceRef) }, ...errors },
      },
      get: {
        summary: 'List instances, newest first',
        parameters: [
          ...pageParams,
          { name: 'status', in: 'query', schema: { enum: instanceStatuses } },
          { name: 'provider', in: 'query', schema: { type: 'string' } },
          minPosition,
        ],
        responses: { '200': { description: 'A page of instances', ...json(listOf(instanceRef)) }, ...errors },
      },
    },
    '/instances/{id}': {
      get: {
        summary: 'Get an instance',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'The instance', ...json(instanceRef) }, ...errors },
      },
      patch: {
        summary: 'Change the desired spec of an instance (operators) with a JSON merge patch',
        parameters: [idParam],
        requestBody: { required: true, ...json(patchInstanceBody) },
        responses: { '200': { description: 'The instance with its new spec', ...json(instanceRef) }, ...errors },
      },
    },
    '/instances/{id}/lifecycle': {
      get: {
        summary: 'The state of an instance and the actions it allows now',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'Its lifecycle', ...json({ $ref: '#/components/schemas/InstanceLifecycle' }) }, ...errors },
      },
    },
    '/instances/{id}/suspend': {
      post: {
        summary: 'Ask for a running instance to be suspended (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(instanceActionBody),
        responses: { '202': { description: 'Requested', ...json(instanceRef) }, ...errors },
      },
    },
    '/instances/{id}/resume': {
      post: {
        summary: 'Ask for a suspended instance to be resumed (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(instanceActionBody),
        responses: { '202': { description: 'Requested', ...json(instanceRef) }, ...errors },
      },
    },
    '/instances/{id}/destroy': {
      post: {
        summary: 'Ask for a running or suspended instance to be destroyed (operators); it stays readable',
        parameters: [idParam, idempotencyKey],
        requestBody: json(destroyInstanceBody),
        responses: { '202': { description: 'Requested', ...json(instanceRef) }, ...errors },
      },
    },
    '/instances/{id}/backup': {
      post: {
        summary: 'Ask for a backup of a running or suspended instance (operators)',
        parameters: [idParam, idempotencyKey],
        requestBody: json(instanceActionBody),
        responses: {
          '202': {
            description: 'Requested; the backup shows in the instance\'s `backups`',
            ...json({ type: 'object', required: ['backup_id', 'instance'], properties: { backup_id: { type: 'string' }, instance: instanceRef } }),
          },
          ...errors,
        },
      },
    },
    '/instances/bulk': {
      post: {
        summary: 'Suspend, resume, destroy or back up up to 100 instances (operators), each independently',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(bulkInstanceActionBody) },
        responses: { '200': { description: 'One result per instance', ...json({ $ref: '#/components/schemas/BulkResult' }) }, ...errors },
      },
    },
    '/alerts': {
      get: {
        summary: 'List alerts, newest first',
        parameters: [
          ...pageParams,
          { name: 'status', in: 'query', schema: { enum: alertStatuses } },
          { name: 'rule', in: 'query', schema: { type: 'string' } },
          { name: 'subject_id', in: 'query', schema: { type: 'string' }, description: 'Alerts about this instance.' },
          minPosition,
        ],
        responses: { '200': { description: 'A page of alerts', ...json(listOf({ $ref: '#/components/schemas/Alert' })) }, ...errors },
      },
    },
    '/alerts/{id}': {
      get: {
        summary: 'Get an alert',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'The alert', ...json({ $ref: '#/components/schemas/Alert' }) }, ...errors },
      },
    },
    '/alerts/{id}/acknowledge': {
      post: {
        summary: 'Acknowledge an open alert (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(acknowledgeAlertBody),
        responses: { '200': { description: 'The acknowledged alert', ...json({ $ref: '#/components/schemas/Alert' }) }, ...errors },
      },
    },
    '/alerts/{id}/resolve': {
      post: {
        summary: 'Resolve an open or acknowledged alert (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(resolveAlertBody),
        responses: { '200': { description: 'The resolved alert', ...json({ $ref: '#/components/schemas/Alert' }) }, ...errors },
      },
    },
    '/instances/{id}/snapshots': {
      get: {
        summary: 'Configuration snapshots its agent reported, newest first; one is recorded only when it changed',
        parameters: [idParam, ...pageParams, minPosition],
        responses: { '200': { description: 'A page of snapshots', ...json(listOf({ $ref: '#/components/schemas/ConfigurationSnapshot' })) }, ...errors },
      },
    },
    '/drift-events': {
      get: {
        summary: 'List drift events (one per drift of an instance), newest first',
        parameters: [
          ...pageParams,
          { name: 'instance_id', in: 'query', schema: { type: 'string' } },
          { name: 'status', in: 'query', schema: { enum: driftViewStatuses } },
          { name: 'severity', in: 'query', schema: { enum: severities } },
          minPosition,
        ],
        responses: { '200': { description: 'A page of drift events', ...json(listOf({ $ref: '#/components/schemas/DriftEvent' })) }, ...errors },
      },
    },
    '/drift-events/{id}': {
      get: {
        summary: 'Get a drift event',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'The drift event', ...json({ $ref: '#/components/schemas/DriftEvent' }) }, ...errors },
      },
    },
    '/drift-events/{id}/remediation/approve': {
      post: {
        summary: 'Approve the proposed remediation plan (operators); the drift workflow then runs it through the agent',
        parameters: [idParam, idempotencyKey],
        requestBody: json(driftActionBody),
        responses: { '200': { description: 'The drift event, approved', ...json({ $ref: '#/components/schemas/DriftEvent' }) }, ...errors },
      },
    },
    '/drift-events/{id}/remediation/execute': {
      post: {
        summary: 'Remediate now (operators): approves the proposed plan, or after an escalation plans again from the current items and approves; 400 nothing_to_execute when no agent action can fix it',
        parameters: [idParam, idempotencyKey],
        requestBody: json(driftActionBody),
        responses: { '202': { description: 'Approved; the run follows', ...json({ $ref: '#/components/schemas/DriftEvent' }) }, ...errors },
      },
    },
    '/drift-events/{id}/dismiss': {
      post: {
        summary: 'Dismiss a drift that is not remediating (operators): the difference is accepted and does not open a drift again',
        parameters: [idParam, idempotencyKey],
        requestBody: { required: true, ...json(dismissDriftBody) },
        responses: { '200': { description: 'The drift event, dismissed', ...json({ $ref: '#/components/schemas/DriftEvent' }) }, ...errors },
      },
    },
    '/drift/summary': {
      get: {
        summary: "Your team's drift events counted by status and (active ones) by severity, and the instances drifting",
        parameters: [minPosition],
        responses: { '200': { description: 'The summary', ...json({ $ref: '#/components/schemas/DriftSummary' }) }, ...errors },
      },
    },
    '/team/policy': {
      get: {
        summary: "Your team's policy",
        responses: { '200': { description: 'The policy', ...json({ $ref: '#/components/schemas/TeamPolicy' }) }, ...errors },
      },
      put: {
        summary: "Replace your team's policy (admins)",
        requestBody: { required: true, ...json(teamPolicyBody) },
        responses: { '200': { description: 'The policy now', ...json({ $ref: '#/components/schemas/TeamPolicy' }) }, ...errors },
      },
    },
    '/teams': {
      post: {
        summary: 'Create a team with its first admin key (system team admins only)',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(createTeamBody) },
        responses: { '201': { description: 'The team and its admin key, shown once' }, ...errors },
      },
    },
    '/team': { get: { summary: "The caller's team", responses: { '200': { description: 'The team' }, ...errors } } },
    '/api-keys': {
      post: {
        summary: 'Issue an API key for your team (admins)',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(createApiKeyBody) },
        responses: { '201': { description: 'The key, shown once' }, ...errors },
      },
      get: { summary: "List your team's API keys (admins)", parameters: pageParams, responses: { '200': { description: 'A page of keys' }, ...errors } },
    },
    '/api-keys/{id}/revoke': {
      post: { summary: 'Revoke an API key (admins)', parameters: [idParam, idempotencyKey], responses: { '200': { description: 'Revoked' }, ...errors } },
    },
    '/event-schemas': {
      get: { summary: 'JSON Schemas of every event type and version, for stream consumers', responses: { '200': { description: 'Schemas' }, ...errors } },
    },
  },
});
