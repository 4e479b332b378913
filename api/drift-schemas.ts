import { autoApproveLevels, severities } from '../domain/drift/index.js';
import { driftViewStatuses } from '../projections/drift/drift-view.js';

/** Request bodies and query strings of the drift API: validated by ajv and published in the OpenAPI document. */
export const driftActionBody = { type: 'object', additionalProperties: false, properties: {} } as const;

export const dismissDriftBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: {
    reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'Why the difference is accepted; the same difference does not open a drift again.' },
  },
} as const;

export const listDriftsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    instance_id: { type: 'string', minLength: 1 },
    status: { enum: driftViewStatuses },
    severity: { enum: severities },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    min_position: { type: 'string' },
  },
} as const;

export const snapshotsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'string' }, cursor: { type: 'string' }, min_position: { type: 'string' } },
} as const;

export const teamPolicyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['drift_auto_approve_max_severity'],
  properties: {
    drift_auto_approve_max_severity: {
      enum: autoApproveLevels,
      description: 'Remediation plans of drifts at most this severe are approved without an operator; `none`: every plan waits for one. Default: `low`.',
    },
    auto_provision: {
      description:
        'A task no instance can take has an instance deployed for it (with its required skills) on `provider`, while the team has fewer than `max_instances` live instances there. Null or absent: off (the default).',
      oneOf: [
        { type: 'null' },
        {
          type: 'object',
          additionalProperties: false,
          required: ['provider', 'max_instances'],
          properties: { provider: { type: 'string', minLength: 1, maxLength: 100 }, max_instances: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
      ],
    },
    public_skill_catalog: { type: 'boolean', description: "The team's skill catalog may be browsed without an API key. Default: false." },
    public_badges: { type: 'boolean', description: "The security-score badges of the team's instances are served without an API key. Default: false." },
    allow_private_webhook_targets: {
      type: 'boolean',
      description: 'Webhooks and task callbacks may target private, loopback and link-local addresses. Default: false (public addresses only).',
    },
  },
} as const;
