/** Response shapes of the drift API, for the OpenAPI document. */
import { autoApproveLevels, operatorDriftActions, severities } from '../domain/drift/index.js';
import { driftViewStatuses } from '../projections/drift/drift-view.js';
import { teamPolicyBody } from './drift-schemas.js';
import { streamVersion } from './openapi-schemas.js';

const configurationSchema = {
  type: 'object',
  description: 'What the agent reported. Values of settings whose names look secret (token, password, key, secret...) are "[redacted]".',
  properties: {
    provider: { type: 'string' },
    runtime_version: { type: ['string', 'null'] },
    skills: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, enabled: { type: 'boolean' } } } },
    settings: { type: 'object' },
    resources: {
      type: 'object',
      properties: {
        cpus: { type: ['number', 'null'] },
        memory_mb: { type: ['number', 'null'] },
        open_ports: { type: 'array', items: { type: 'integer' } },
        region: { type: ['string', 'null'] },
      },
    },
  },
} as const;

export const configurationSnapshotSchema = {
  type: 'object',
  properties: {
    object: { const: 'configuration_snapshot' },
    id: { type: 'string' },
    instance_id: { type: 'string' },
    snapshot: configurationSchema,
    drift_id: { type: ['string', 'null'], description: 'The drift open once this snapshot was compared with the desired spec.' },
    recorded_at: { type: 'string', format: 'date-time' },
    position: streamVersion.position,
  },
} as const;

export const driftEventSchema = {
  type: 'object',
  properties: {
    object: { const: 'drift_event' },
    id: { type: 'string' },
    instance_id: { type: 'string' },
    status: {
      enum: driftViewStatuses,
      description:
        '`open -> remediating -> resolved`; `escalated` when a remediation failed or nothing the agent can do fixes it; `open | escalated -> dismissed`.',
    },
    severity: { enum: severities, description: "Its worst item's." },
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string' },
          path: { type: 'string', description: 'What differs: `skills.git`, `settings.timeout`, `resources.region`...' },
          severity: { enum: severities },
          expected: { description: 'null for settings whose names look secret.' },
          actual: { description: 'null for settings whose names look secret.' },
        },
      },
    },
    fingerprint: { type: 'string', description: 'Identifies the set of differences; the same differences reported again open nothing new.' },
    plan: {
      type: ['object', 'null'],
      properties: {
        actions: {
          type: 'array',
          items: {
            type: 'object',
            description:
              '`install_skill {name, version}`, `configure_skill {name, parameters}`, `disable_skill {name}`, `set_runtime_version {version}`, `set_setting {name}`, `escalate {reason}`.',
          },
        },
        proposed_at: { type: 'string', format: 'date-time' },
        approval: {
          type: ['object', 'null'],
          properties: { automatic: { type: 'boolean', description: 'Approved by the team policy.' }, approved_at: { type: 'string', format: 'date-time' } },
        },
      },
    },
    remediation: {
      type: ['object', 'null'],
      description: 'The latest run of the plan, as a `config.apply` task on the instance.',
      properties: {
        task_id: { type: 'string' },
        started_at: { type: 'string', format: 'date-time' },
        failed_at: { type: ['string', 'null'], format: 'date-time' },
        failure_reason: { type: ['string', 'null'] },
      },
    },
    escalation_reason: { type: ['string', 'null'] },
    verified_by: {
      enum: ['remediation', 'snapshot', null],
      description: 'For a resolved drift: the snapshot that matched came after a remediation, or by itself.',
    },
    dismiss_reason: { type: ['string', 'null'] },
    allowed_actions: {
      type: 'array',
      items: { enum: operatorDriftActions },
      description: 'Operator actions the drift allows now; the others answer 409 or 400.',
    },
    detected_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    closed_at: { type: ['string', 'null'], format: 'date-time' },
    ...streamVersion,
  },
} as const;

const counts = (keys: readonly string[]) => ({ type: 'object', properties: Object.fromEntries(keys.map((key) => [key, { type: 'integer' }])) });

export const driftSummarySchema = {
  type: 'object',
  properties: {
    object: { const: 'drift_summary' },
    by_status: counts(driftViewStatuses),
    active_by_severity: { ...counts(severities), description: 'Drifts neither resolved nor dismissed.' },
    instances_drifting: { type: 'integer', description: 'Instances with a drift neither resolved nor dismissed.' },
  },
} as const;

export const teamPolicySchema = {
  type: 'object',
  properties: {
    object: { const: 'team_policy' },
    drift_auto_approve_max_severity: { enum: autoApproveLevels },
    auto_provision: teamPolicyBody.properties.auto_provision,
    public_skill_catalog: teamPolicyBody.properties.public_skill_catalog,
    public_badges: teamPolicyBody.properties.public_badges,
    allow_private_webhook_targets: teamPolicyBody.properties.allow_private_webhook_targets,
    revision: streamVersion.revision,
    position: { type: ['integer', 'null'], description: 'Of the change written; null when nothing was (a read, or the same policy again).' },
  },
} as const;
