import { alertStatuses } from '../domain/alert/events.js';
import { severities } from '../domain/drift/index.js';
import { taskStatuses } from '../domain/task/events.js';
import { roles } from '../domain/team/events.js';
import { driftViewStatuses } from '../projections/drift/drift-view.js';
import { accessPaths } from './access-openapi.js';
import { agentPaths, agentSchemas } from './agent-openapi.js';
import { acknowledgeAlertBody, resolveAlertBody } from './alert-schemas.js';
import { alertBulkPaths, alertingSchemas, alertRulePaths } from './alerting-openapi.js';
import { auditPaths, auditSchemas } from './audit-openapi.js';
import { configurationSnapshotSchema, driftEventSchema, driftSummarySchema, teamPolicySchema } from './drift-openapi.js';
import { dismissDriftBody, driftActionBody, teamPolicyBody } from './drift-schemas.js';
import { eventStreamPaths, eventStreamSchemas } from './events-openapi.js';
import { fleetPaths, fleetSchemas } from './fleet-openapi.js';
import { withTimeTravel } from './history-openapi.js';
import { commonComponents, json, serverSentEvents, withCommonAnswers } from './openapi-common.js';
import {
  alertSchema,
  bulkResultSchema,
  errorSchema,
  instanceLifecycleSchema,
  instanceMetricsSchema,
  instanceSchema,
  streamVersion,
  taskEventSchema,
  taskResultSchema,
  taskSchema,
} from './openapi-schemas.js';
import { privacyPaths } from './privacy-openapi.js';
import {
  bulkInstanceActionBody,
  cancelTaskBody,
  createApiKeyBody,
  createTeamBody,
  deployInstanceBody,
  destroyInstanceBody,
  instanceActionBody,
  instanceMetricsQuery,
  listInstancesQuery,
  patchInstanceBody,
  submitTaskBody,
} from './schemas.js';
import { skillPaths, skillSchemas } from './skills-openapi.js';
import { systemPaths, systemSchemas } from './system-openapi.js';
import { webhookPaths, webhookSchemas } from './webhook-openapi.js';

const listOf = (item: object) => ({
  type: 'object',
  required: ['data', 'has_more', 'next_cursor'],
  properties: { data: { type: 'array', items: item }, has_more: { type: 'boolean' }, next_cursor: { type: ['string', 'null'] } },
});

const idempotencyKey = { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } };
const minPosition = { name: 'X-Min-Position', in: 'header', schema: { type: 'integer', minimum: 0 } };
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const instanceRef = { $ref: '#/components/schemas/Instance' };

const teamSchema = {
  type: 'object',
  required: ['object', 'id', 'name', 'system', 'created_at'],
  properties: {
    object: { const: 'team' },
    id: { type: 'string' },
    name: { type: 'string' },
    system: { type: 'boolean', description: 'The team created at first start, whose admins manage teams.' },
    created_at: { type: 'string', format: 'date-time' },
    api_key_count: { type: 'integer', minimum: 0, description: 'Its API keys not deleted (in the list of teams and a rename only).' },
  },
} as const;

/** A key as issued: its secret `key` is in this answer only. */
const apiKeyIssued = {
  type: 'object',
  required: ['object', 'id', 'name', 'role', 'key'],
  properties: {
    object: { const: 'api_key' },
    id: { type: 'string' },
    name: { type: 'string' },
    role: { enum: roles },
    key: { type: 'string', description: 'The secret, shown once.' },
    expires_at: { type: ['string', 'null'], format: 'date-time', description: 'When the key stops working; null: never.' },
  },
} as const;

/** A key as listed: never its secret. */
const apiKeySchema = {
  type: 'object',
  required: ['object', 'id', 'name', 'role'],
  properties: {
    object: { const: 'api_key' },
    id: { type: 'string' },
    name: { type: 'string' },
    role: { enum: roles },
    prefix: { type: 'string', description: 'The first characters of the secret, to tell keys apart.' },
    revoked: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: ['string', 'null'], format: 'date-time', description: 'When the key stops working; null: never.' },
    rotated_at: { type: ['string', 'null'], format: 'date-time', description: 'When its secret was last replaced; null: never.' },
    last_used_at: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'Its last request, as counted up to the last flush of usage counts (once a minute); null: none counted.',
    },
    requests_per_day: {
      type: 'array',
      description: 'Requests per UTC day, newest first, for the last 30 days it was used.',
      items: {
        type: 'object',
        required: ['date', 'requests'],
        properties: { date: { type: 'string', format: 'date' }, requests: { type: 'integer', minimum: 0 } },
      },
    },
    key: { type: 'string', description: 'Only in the answer that issued it.' },
  },
} as const;

/** The paths with `as_of` and `/history` of every resource that has a stream, then what every operation shares. */
const documented = <P extends Record<string, Record<string, unknown>>>(paths: P): P => withCommonAnswers(withTimeTravel(paths));

/** OpenAPI 3.1, built from the same schemas ajv validates requests with. */
export const openApiDocument = () => ({
  openapi: '3.1.0',
  info: { title: 'Bosun API', version: '1', description: 'Control plane for fleets of AI agent instances.' },
  servers: [{ url: '/api/v1' }],
  security: [{ bearer: [] }, { apiKey: [] }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'An API key of your team: `Authorization: Bearer <key>`.' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'The same API key, in a header of its own.' },
      agentCredential: { type: 'http', scheme: 'bearer', description: "An agent's instance credential (`bsi_...`), from POST /agent/register." },
    },
    ...commonComponents,
    schemas: {
      Error: errorSchema,
      Task: taskSchema,
      TaskResult: taskResultSchema,
      TaskEvent: taskEventSchema,
      Instance: instanceSchema,
      InstanceLifecycle: instanceLifecycleSchema,
      InstanceMetrics: instanceMetricsSchema,
      BulkResult: bulkResultSchema,
      DriftEvent: driftEventSchema,
      ConfigurationSnapshot: configurationSnapshotSchema,
      DriftSummary: driftSummarySchema,
      TeamPolicy: teamPolicySchema,
      Alert: alertSchema,
      ...alertingSchemas,
      Team: teamSchema,
      ApiKey: apiKeySchema,
      ...systemSchemas,
      ...eventStreamSchemas,
      ...auditSchemas,
      ...fleetSchemas,
      ...skillSchemas,
      ...agentSchemas,
      ...webhookSchemas,
    },
  },
  paths: documented({
    '/tasks': {
      post: {
        summary: 'Submit a task',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(submitTaskBody) },
        responses: { '202': { description: 'Accepted', ...json({ $ref: '#/components/schemas/Task' }) } },
      },
      get: {
        summary: 'List tasks, newest first',
        parameters: [
          ...pageParams,
          { name: 'status', in: 'query', schema: { enum: taskStatuses } },
          { name: 'kind', in: 'query', schema: { type: 'string' } },
          { name: 'instance_id', in: 'query', description: 'Tasks queued on or run by this instance.', schema: { type: 'string' } },
          { name: 'rerun_of', in: 'query', description: 'Reruns of this task.', schema: { type: 'string' } },
          {
            name: 'created_after',
            in: 'query',
            description: 'Tasks submitted at or after this RFC 3339 instant.',
            schema: { type: 'string', format: 'date-time' },
          },
          {
            name: 'created_before',
            in: 'query',
            description: 'Tasks submitted before this RFC 3339 instant.',
            schema: { type: 'string', format: 'date-time' },
          },
          minPosition,
        ],
        responses: { '200': { description: 'A page of tasks', ...json(listOf({ $ref: '#/components/schemas/Task' })) } },
      },
    },
    '/tasks/{id}': {
      get: {
        summary: 'Get a task',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'The task', ...json({ $ref: '#/components/schemas/Task' }) } },
      },
    },
    '/tasks/{id}/cancel': {
      post: {
        summary: 'Cancel a task that has not finished',
        parameters: [idParam, idempotencyKey],
        requestBody: json(cancelTaskBody),
        responses: { '200': { description: 'The cancelled task', ...json({ $ref: '#/components/schemas/Task' }) } },
      },
    },
    '/tasks/{id}/rerun': {
      post: {
        summary: 'Run a finished task again: a new task with its kind, input, skills, timeout, retry policy and pinned instance; 409 task_not_finished before',
        parameters: [idParam, idempotencyKey],
        responses: { '202': { description: 'Accepted: the new task, with rerun_of', ...json({ $ref: '#/components/schemas/Task' }) } },
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
        responses: {
          '200': {
            description: 'An event stream',
            // The body is the stream's text; each event's `data:` line is a TaskEvent in JSON.
            content: {
              ...serverSentEvents('TaskEvent'),
            },
          },
        },
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
        responses: { '200': { description: 'The result', ...json({ $ref: '#/components/schemas/TaskResult' }) } },
      },
    },
    '/instances': {
      post: {
        summary: 'Deploy an instance (operators); it starts provisioning',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(deployInstanceBody) },
        responses: { '202': { description: 'Accepted; Location names the instance', ...json(instanceRef) } },
      },
      get: {
        summary: 'List instances, newest first or by `sort`, filtered by status, provider, health, skill and part of the name',
        parameters: [
          ...pageParams,
          ...(['status', 'provider', 'health', 'skill', 'q', 'sort'] as const).map((name) => ({
            name,
            in: 'query',
            schema: listInstancesQuery.properties[name],
          })),
          minPosition,
        ],
        responses: { '200': { description: 'A page of instances', ...json(listOf(instanceRef)) } },
      },
    },
    '/instances/{id}': {
      get: {
        summary: 'Get an instance',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'The instance', ...json(instanceRef) } },
      },
      patch: {
        summary: 'Change the desired spec of an instance (operators) with a JSON merge patch',
        parameters: [idParam],
        requestBody: {
          required: true,
          content: { 'application/merge-patch+json': { schema: patchInstanceBody }, 'application/json': { schema: patchInstanceBody } },
        },
        responses: { '200': { description: 'The instance with its new spec', ...json(instanceRef) } },
      },
    },
    '/instances/{id}/lifecycle': {
      get: {
        summary: 'The state of an instance and the actions it allows now',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'Its lifecycle', ...json({ $ref: '#/components/schemas/InstanceLifecycle' }) } },
      },
    },
    '/instances/{id}/metrics': {
      get: {
        summary:
          "Heartbeat metrics of an instance as a time series: per step, each metric's mean and maximum; 400 naming range or step when unknown or too fine",
        parameters: [
          idParam,
          { name: 'range', in: 'query', schema: instanceMetricsQuery.properties.range },
          { name: 'step', in: 'query', schema: instanceMetricsQuery.properties.step },
          minPosition,
        ],
        responses: { '200': { description: 'The series', ...json({ $ref: '#/components/schemas/InstanceMetrics' }) } },
      },
    },
    '/instances/{id}/suspend': {
      post: {
        summary: 'Ask for a running instance to be suspended (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(instanceActionBody),
        responses: { '202': { description: 'Requested', ...json(instanceRef) } },
      },
    },
    '/instances/{id}/resume': {
      post: {
        summary: 'Ask for a suspended instance to be resumed (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(instanceActionBody),
        responses: { '202': { description: 'Requested', ...json(instanceRef) } },
      },
    },
    '/instances/{id}/restart': {
      post: {
        summary: 'Ask for the agent process of a running instance to be restarted (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(instanceActionBody),
        responses: { '202': { description: 'Requested; `pending` is `restart` until it is done', ...json(instanceRef) } },
      },
    },
    '/instances/{id}/destroy': {
      post: {
        summary: 'Ask for a running or suspended instance to be destroyed (operators); it stays readable',
        parameters: [idParam, idempotencyKey],
        requestBody: json(destroyInstanceBody),
        responses: { '202': { description: 'Requested', ...json(instanceRef) } },
      },
    },
    '/instances/{id}/backup': {
      post: {
        summary: 'Ask for a backup of a running or suspended instance (operators)',
        parameters: [idParam, idempotencyKey],
        requestBody: json(instanceActionBody),
        responses: {
          '202': {
            description: "Requested; the backup shows in the instance's `backups`",
            ...json({ type: 'object', required: ['backup_id', 'instance'], properties: { backup_id: { type: 'string' }, instance: instanceRef } }),
          },
        },
      },
    },
    '/instances/bulk': {
      post: {
        summary: 'Suspend, resume, restart, destroy or back up up to 100 instances (operators), each independently',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(bulkInstanceActionBody) },
        responses: { '200': { description: 'One result per instance', ...json({ $ref: '#/components/schemas/BulkResult' }) } },
      },
    },
    '/alerts': {
      get: {
        summary: 'List alerts, newest first',
        parameters: [
          ...pageParams,
          { name: 'status', in: 'query', schema: { enum: alertStatuses } },
          { name: 'rule', in: 'query', schema: { type: 'string' }, description: 'The kind of rule, e.g. `no_heartbeat`.' },
          { name: 'rule_id', in: 'query', schema: { type: 'string' }, description: 'Alerts raised by this alert rule.' },
          { name: 'subject_id', in: 'query', schema: { type: 'string' }, description: 'Alerts about this instance.' },
          minPosition,
        ],
        responses: { '200': { description: 'A page of alerts', ...json(listOf({ $ref: '#/components/schemas/Alert' })) } },
      },
    },
    ...alertBulkPaths,
    '/alerts/{id}': {
      get: {
        summary: 'Get an alert',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'The alert', ...json({ $ref: '#/components/schemas/Alert' }) } },
      },
    },
    '/alerts/{id}/acknowledge': {
      post: {
        summary: 'Acknowledge an open alert (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(acknowledgeAlertBody),
        responses: { '200': { description: 'The acknowledged alert', ...json({ $ref: '#/components/schemas/Alert' }) } },
      },
    },
    '/alerts/{id}/resolve': {
      post: {
        summary: 'Resolve an open or acknowledged alert (operators); 409 naming the state otherwise',
        parameters: [idParam, idempotencyKey],
        requestBody: json(resolveAlertBody),
        responses: { '200': { description: 'The resolved alert', ...json({ $ref: '#/components/schemas/Alert' }) } },
      },
    },
    ...alertRulePaths,
    '/instances/{id}/snapshots': {
      get: {
        summary: 'Configuration snapshots its agent reported, newest first; one is recorded only when it changed',
        parameters: [idParam, ...pageParams, minPosition],
        responses: { '200': { description: 'A page of snapshots', ...json(listOf({ $ref: '#/components/schemas/ConfigurationSnapshot' })) } },
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
        responses: { '200': { description: 'A page of drift events', ...json(listOf({ $ref: '#/components/schemas/DriftEvent' })) } },
      },
    },
    '/drift-events/{id}': {
      get: {
        summary: 'Get a drift event',
        parameters: [idParam, minPosition],
        responses: { '200': { description: 'The drift event', ...json({ $ref: '#/components/schemas/DriftEvent' }) } },
      },
    },
    '/drift-events/{id}/remediation/approve': {
      post: {
        summary: 'Approve the proposed remediation plan (operators); the drift workflow then runs it through the agent',
        parameters: [idParam, idempotencyKey],
        requestBody: json(driftActionBody),
        responses: { '200': { description: 'The drift event, approved', ...json({ $ref: '#/components/schemas/DriftEvent' }) } },
      },
    },
    '/drift-events/{id}/remediation/execute': {
      post: {
        summary:
          'Remediate now (operators): approves the proposed plan, or after an escalation plans again from the current items and approves; 400 nothing_to_execute when no agent action can fix it',
        parameters: [idParam, idempotencyKey],
        requestBody: json(driftActionBody),
        responses: { '202': { description: 'Approved; the run follows', ...json({ $ref: '#/components/schemas/DriftEvent' }) } },
      },
    },
    '/drift-events/{id}/dismiss': {
      post: {
        summary: 'Dismiss a drift that is not remediating (operators): the difference is accepted and does not open a drift again',
        parameters: [idParam, idempotencyKey],
        requestBody: { required: true, ...json(dismissDriftBody) },
        responses: { '200': { description: 'The drift event, dismissed', ...json({ $ref: '#/components/schemas/DriftEvent' }) } },
      },
    },
    '/drift/summary': {
      get: {
        summary: "Your team's drift events counted by status and (active ones) by severity, and the instances drifting",
        parameters: [minPosition],
        responses: { '200': { description: 'The summary', ...json({ $ref: '#/components/schemas/DriftSummary' }) } },
      },
    },
    '/team/policy': {
      get: {
        summary: "Your team's policy",
        responses: { '200': { description: 'The policy', ...json({ $ref: '#/components/schemas/TeamPolicy' }) } },
      },
      put: {
        summary: "Replace your team's policy (admins)",
        requestBody: { required: true, ...json(teamPolicyBody) },
        responses: { '200': { description: 'The policy now', ...json({ $ref: '#/components/schemas/TeamPolicy' }) } },
      },
    },
    '/teams': {
      get: {
        summary: 'Every team, with its number of API keys (system team admins only)',
        parameters: [...pageParams, minPosition],
        responses: { '200': { description: 'A page of teams', ...json(listOf({ $ref: '#/components/schemas/Team' })) } },
      },
      post: {
        summary: 'Create a team with its first admin key (system team admins only)',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(createTeamBody) },
        responses: {
          '201': {
            description: 'The team and its admin key, shown once',
            ...json({
              type: 'object',
              required: ['object', 'id', 'name', 'admin_key', 'revision', 'position'],
              properties: {
                object: { const: 'team' },
                id: { type: 'string' },
                name: { type: 'string' },
                admin_key: { $ref: '#/components/schemas/ApiKey' },
                revision: streamVersion.revision,
                position: streamVersion.position,
              },
            }),
          },
        },
      },
    },
    '/team': {
      get: {
        summary: "The caller's team",
        parameters: [minPosition],
        responses: { '200': { description: 'The team', ...json({ $ref: '#/components/schemas/Team' }) } },
      },
    },
    '/api-keys': {
      post: {
        summary: 'Issue an API key for your team (admins)',
        parameters: [idempotencyKey],
        requestBody: { required: true, ...json(createApiKeyBody) },
        responses: {
          '201': {
            description: 'The key, its secret shown once',
            ...json({
              type: 'object',
              required: ['object', 'id', 'name', 'role', 'key', 'revision', 'position'],
              properties: { ...apiKeyIssued.properties, ...streamVersion },
            }),
          },
        },
      },
      get: {
        summary: "List your team's API keys, without their secrets (admins)",
        parameters: [...pageParams, minPosition],
        responses: { '200': { description: 'A page of keys', ...json(listOf({ $ref: '#/components/schemas/ApiKey' })) } },
      },
    },
    '/api-keys/{id}/revoke': {
      post: {
        summary: 'Revoke an API key of your team at once (admins); a key cannot revoke itself',
        parameters: [idParam, idempotencyKey],
        responses: {
          '200': {
            description: 'Revoked',
            ...json({
              type: 'object',
              required: ['object', 'id', 'revoked'],
              properties: { object: { const: 'api_key' }, id: { type: 'string' }, revoked: { const: true }, ...streamVersion },
            }),
          },
        },
      },
    },
    '/event-schemas': {
      get: {
        summary: 'JSON Schemas of every event type and version, for stream consumers',
        responses: {
          '200': {
            description: 'Schemas',
            ...json({
              type: 'object',
              required: ['data'],
              properties: {
                data: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['type', 'version', 'schema'],
                    properties: { type: { type: 'string' }, version: { type: 'integer' }, schema: { type: 'object' } },
                  },
                },
              },
            }),
          },
        },
      },
    },
    '/openapi.json': {
      get: { summary: 'This document', responses: { '200': { description: 'The OpenAPI 3.1 document', ...json({ type: 'object' }) } } },
    },
    ...systemPaths,
    ...accessPaths({ minPosition, idParam, idempotencyKey }),
    ...privacyPaths,
    ...eventStreamPaths,
    ...auditPaths(pageParams, minPosition, listOf),
    ...fleetPaths(idParam, minPosition),
    ...skillPaths({ pageParams, minPosition, idempotencyKey, idParam, listOf }),
    ...agentPaths,
    ...webhookPaths({ idempotencyKey, minPosition, pageParams, idParam }, listOf),
  }),
});
