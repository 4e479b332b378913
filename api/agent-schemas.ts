/** Request bodies of the agent runtime API (docs/agent-api.md), validated by ajv. */
import { maxMetricsPerHeartbeat, metricNamePattern } from '../processes/instance-metrics.js';

export const registerBody = {
  type: 'object',
  additionalProperties: false,
  required: ['registration_token'],
  properties: {
    registration_token: { type: 'string', minLength: 1, maxLength: 200 },
    agent_version: { type: 'string', minLength: 1, maxLength: 50 },
    hostname: { type: 'string', minLength: 1, maxLength: 255 },
  },
} as const;

const skill = {
  type: 'object',
  required: ['name', 'version'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1 },
    version: { type: 'string' },
    enabled: { type: 'boolean' },
    parameters: { type: 'object', description: 'Those the skill is configured with; absent when it has none.' },
  },
} as const;

export const heartbeatBody = {
  type: 'object',
  additionalProperties: false,
  required: ['configuration'],
  properties: {
    metrics: {
      type: 'object',
      maxProperties: maxMetricsPerHeartbeat,
      propertyNames: { pattern: metricNamePattern },
      additionalProperties: { type: 'number' },
      description: 'Numbers to keep for charts, e.g. cpu_percent, memory_mb, disk_percent, running_tasks; names are letters, digits and _.',
    },
    configuration: {
      type: 'object',
      additionalProperties: false,
      required: ['provider', 'skills', 'settings'],
      properties: {
        provider: { type: 'string', minLength: 1 },
        runtime_version: { type: ['string', 'null'] },
        skills: { type: 'array', maxItems: 500, items: skill },
        settings: { type: 'object' },
        resources: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cpus: { type: ['number', 'null'] },
            memory_mb: { type: ['number', 'null'] },
            open_ports: { type: 'array', items: { type: 'integer' } },
            region: { type: ['string', 'null'] },
          },
        },
      },
    },
    running_task_ids: { type: 'array', maxItems: 1000, items: { type: 'string' } },
  },
} as const;

export const progressBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    percent: { type: 'number', minimum: 0, maximum: 100 },
    message: { type: 'string', maxLength: 1000 },
    logs: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['stream', 'line'],
        properties: { stream: { enum: ['stdout', 'stderr'] }, line: { type: 'string', maxLength: 4096 } },
      },
    },
  },
} as const;

export const completeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['outputs'],
  properties: { outputs: { type: 'object' } },
} as const;

export const failBody = {
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: { code: { type: 'string', minLength: 1, maxLength: 100 }, message: { type: 'string', maxLength: 4000 } },
    },
    retryable: { type: 'boolean' },
  },
} as const;

/** A heartbeat's configuration as the agent sends it; optional parts get their defaults when it is recorded. */
export type RawSnapshot = {
  provider: string;
  runtime_version?: string | null;
  skills: { name: string; version: string; enabled?: boolean; parameters?: Record<string, unknown> }[];
  settings: Record<string, unknown>;
  resources?: { cpus?: number | null; memory_mb?: number | null; open_ports?: number[]; region?: string | null };
};
