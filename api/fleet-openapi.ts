/** The OpenAPI description of the fleet views: stats, security scores and their badges. */
import { alertSeverities, alertStatuses } from '../domain/alert/events.js';
import { severities } from '../domain/drift/compare.js';
import { healthStates, instanceStatuses } from '../domain/instance/events.js';
import { taskStatuses } from '../domain/task/events.js';
import { fleetWindows } from './fleet-schemas.js';

const countsOf = (values: readonly string[]) => ({
  type: 'object',
  required: [...values],
  properties: Object.fromEntries(values.map((value) => [value, { type: 'integer', minimum: 0 }])),
});

const fleetStatsSchema = {
  type: 'object',
  required: ['object', 'window', 'instances', 'tasks', 'alerts', 'drift', 'computed_at'],
  properties: {
    object: { const: 'fleet_stats' },
    window: { enum: Object.keys(fleetWindows) },
    instances: {
      type: 'object',
      properties: {
        total: { type: 'integer' },
        by_status: countsOf(instanceStatuses),
        by_health: countsOf(healthStates),
        by_provider: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Each provider Bosun is configured with.' },
      },
    },
    tasks: {
      type: 'object',
      description: 'Tasks created in the window, by their status now.',
      properties: { since: { type: 'string', format: 'date-time' }, total: { type: 'integer' }, by_status: countsOf(taskStatuses) },
    },
    alerts: {
      type: 'object',
      properties: {
        open_by_severity: { ...countsOf(alertSeverities), description: 'Alerts open or acknowledged.' },
        by_status: countsOf(alertStatuses),
      },
    },
    drift: { type: 'object', properties: { open_by_severity: { ...countsOf(severities), description: 'Drift neither resolved nor dismissed.' } } },
    computed_at: { type: 'string', format: 'date-time' },
  },
} as const;

const securityScoreSchema = {
  type: 'object',
  required: ['object', 'instance_id', 'score', 'grade', 'reasons', 'computed_at'],
  properties: {
    object: { const: 'security_score' },
    instance_id: { type: 'string' },
    score: { type: 'integer', minimum: 0, maximum: 100 },
    grade: { enum: ['A', 'B', 'C', 'D', 'F'], description: 'A from 90, B from 75, C from 60, D from 40, else F.' },
    reasons: {
      type: 'array',
      description: 'Each deduction, worst first.',
      items: {
        type: 'object',
        required: ['code', 'message', 'penalty'],
        properties: {
          code: {
            type: 'string',
            description:
              '`open_drift_<severity>`, `shell_allowed`, `runtime_behind` (the team runs a newer runtime elsewhere), `missed_heartbeats`, `plain_secrets` (credential-shaped values under setting names Bosun does not seal).',
          },
          message: { type: 'string' },
          penalty: { type: 'integer', minimum: 1 },
        },
      },
    },
    computed_at: { type: 'string', format: 'date-time' },
  },
} as const;

const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const notPublished = {
  '404': {
    description: 'No such instance, or its team does not publish badges (team policy `public_badges`)',
    ...json({ $ref: '#/components/schemas/Error' }),
  },
};

export const fleetSchemas = { FleetStats: fleetStatsSchema, SecurityScore: securityScoreSchema };

export const fleetPaths = (idParam: object, minPosition: object) => ({
  '/fleet/stats': {
    get: {
      summary:
        "Your team's fleet at a glance: instances by status, health and provider; tasks created in a window by status; open alerts and drift by severity",
      parameters: [{ name: 'window', in: 'query', schema: { enum: Object.keys(fleetWindows), default: '24h' } }, minPosition],
      responses: { '200': { description: 'The counts', ...json({ $ref: '#/components/schemas/FleetStats' }) } },
    },
  },
  '/instances/{id}/security-score': {
    get: {
      summary: "The instance's security score (0-100) with the reasons for each deduction",
      parameters: [idParam, minPosition],
      responses: { '200': { description: 'The score', ...json({ $ref: '#/components/schemas/SecurityScore' }) } },
    },
  },
  '/badges/instances/{id}/security-score.svg': {
    get: {
      summary: 'The security score as an SVG badge, without a key when the team publishes its badges',
      security: [],
      parameters: [idParam],
      responses: { '200': { description: 'The badge', content: { 'image/svg+xml': { schema: { type: 'string' } } } }, ...notPublished },
    },
  },
  '/badges/instances/{id}/security-score.json': {
    get: {
      summary: 'The security score for a shields.io endpoint badge, without a key when the team publishes its badges',
      security: [],
      parameters: [idParam],
      responses: {
        '200': {
          description: 'The shields.io endpoint schema',
          ...json({
            type: 'object',
            required: ['schemaVersion', 'label', 'message', 'color'],
            properties: { schemaVersion: { const: 1 }, label: { type: 'string' }, message: { type: 'string' }, color: { type: 'string' } },
          }),
        },
        ...notPublished,
      },
    },
  },
});
