import { cancelTaskBody, createApiKeyBody, createTeamBody, submitTaskBody } from './schemas.js';
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
    schemas: { Error: errorSchema, Task: taskSchema, TaskResult: taskResultSchema, TaskEvent: taskEventSchema },
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
