/** The OpenAPI description of the agent runtime API (docs/agent-api.md tells the protocol). */
import { completeBody, failBody, heartbeatBody, progressBody, registerBody } from './agent-schemas.js';
import { json } from './openapi-common.js';

/** Agents present their instance credential (`bsi_...`), not an API key. */
const asAgent = { security: [{ agentCredential: [] }], tags: ['agent'] };
const taskId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 255 } };

const agentTaskSchema = {
  type: 'object',
  required: ['object', 'task'],
  properties: {
    object: { const: 'agent_task' },
    task: {
      type: 'object',
      required: ['id', 'kind', 'input', 'timeout_seconds', 'attempt', 'ack_deadline'],
      properties: {
        id: { type: 'string' },
        kind: { type: 'string' },
        input: { type: 'object' },
        timeout_seconds: { type: ['integer', 'null'] },
        attempt: { type: 'integer', minimum: 1 },
        ack_deadline: { type: ['string', 'null'], format: 'date-time', description: 'Acknowledge before this, or the task is offered again.' },
      },
    },
  },
} as const;

const taskResultSchema = {
  type: 'object',
  required: ['object'],
  properties: {
    object: { const: 'agent_task_result' },
    status: { type: 'string', description: 'The task status the report led to.' },
    will_retry: { type: 'boolean', description: 'A failure the task will be retried after.' },
  },
} as const;

export const agentSchemas = { AgentTask: agentTaskSchema, AgentTaskResult: taskResultSchema };

export const agentPaths = {
  '/agent/register': {
    post: {
      summary: 'Exchange a registration token for the instance credential (once)',
      security: [],
      tags: ['agent'],
      requestBody: { required: true, ...json(registerBody) },
      responses: {
        '201': {
          description: 'The credential, shown once, and the pace the server expects',
          ...json({
            type: 'object',
            required: ['object', 'instance_id', 'credential', 'heartbeat_interval_seconds', 'claim_wait_seconds', 'server_version'],
            properties: {
              object: { const: 'agent_registration' },
              instance_id: { type: 'string' },
              credential: { type: 'string' },
              heartbeat_interval_seconds: { type: 'integer' },
              claim_wait_seconds: { type: 'integer' },
              server_version: { type: 'string' },
            },
          }),
        },
      },
    },
  },
  '/agent/heartbeat': {
    post: {
      ...asAgent,
      summary: 'Report metrics, the configuration as it is, and the tasks running; answered with tasks to stop',
      requestBody: { required: true, ...json(heartbeatBody) },
      responses: {
        '200': {
          description: 'Recorded',
          ...json({
            type: 'object',
            required: ['object', 'cancel_task_ids', 'heartbeat_interval_seconds'],
            properties: {
              object: { const: 'heartbeat_ack' },
              cancel_task_ids: { type: 'array', items: { type: 'string' } },
              heartbeat_interval_seconds: { type: 'integer' },
            },
          }),
        },
      },
    },
  },
  '/agent/tasks/claim': {
    post: {
      ...asAgent,
      summary: 'The next task queued for this instance, waiting up to wait_seconds for one',
      parameters: [{ name: 'wait_seconds', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 30 } }],
      responses: {
        '200': { description: 'A task, to acknowledge before its deadline', ...json({ $ref: '#/components/schemas/AgentTask' }) },
        '204': { description: 'Nothing to do' },
      },
    },
  },
  '/agent/tasks/{id}/ack': {
    post: {
      ...asAgent,
      summary: 'Acknowledge a claimed task: it is running on this instance',
      parameters: [taskId],
      responses: { '200': { description: 'The task, running', ...json({ $ref: '#/components/schemas/AgentTask' }) } },
    },
  },
  '/agent/tasks/{id}/progress': {
    post: {
      ...asAgent,
      summary: 'Report progress and log lines of a running task',
      parameters: [taskId, idempotencyKey],
      requestBody: json(progressBody),
      responses: {
        '200': {
          description: 'Recorded; cancel_requested tells the agent to stop',
          ...json({ type: 'object', required: ['cancel_requested'], properties: { cancel_requested: { type: 'boolean' } } }),
        },
      },
    },
  },
  '/agent/tasks/{id}/complete': {
    post: {
      ...asAgent,
      summary: 'Complete a running task with its outputs',
      parameters: [taskId, idempotencyKey],
      requestBody: { required: true, ...json(completeBody) },
      responses: { '200': { description: 'Completed', ...json({ $ref: '#/components/schemas/AgentTaskResult' }) } },
    },
  },
  '/agent/tasks/{id}/fail': {
    post: {
      ...asAgent,
      summary: "Fail a running task; a retryable failure is retried as the task's policy says",
      parameters: [taskId, idempotencyKey],
      requestBody: { required: true, ...json(failBody) },
      responses: { '200': { description: 'Failed, or waiting for a retry', ...json({ $ref: '#/components/schemas/AgentTaskResult' }) } },
    },
  },
  '/agent/settings/{name}': {
    get: {
      ...asAgent,
      summary: "The desired value of one of the instance's settings (secret values travel only here)",
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': {
          description: 'The value',
          ...json({
            type: 'object',
            required: ['object', 'name', 'value'],
            properties: { object: { const: 'desired_setting' }, name: { type: 'string' }, value: {} },
          }),
        },
      },
    },
  },
} as const;
