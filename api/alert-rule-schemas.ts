import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alertRuleKinds } from '../domain/alert-rule/index.js';
import { projectRoot } from '../infra/project-root.js';

/** The definition's parts as the `alert_rule.updated` event schema has them: one source for requests, events and the document. */
const definitionProperties = (
  JSON.parse(readFileSync(join(projectRoot(), 'domain', 'alert-rule', 'schemas', 'alert_rule.updated.v1.json'), 'utf8')) as {
    properties: Record<'name' | 'condition' | 'severity' | 'channels', object>;
  }
).properties;

/** Alert rule request bodies and query strings: validated by ajv and published in the OpenAPI document. */
export const createAlertRuleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'condition', 'severity'],
  properties: { ...definitionProperties, channels: { ...definitionProperties.channels, default: [] } },
} as const;

export const patchAlertRuleBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: definitionProperties,
  description: 'The parts to change; a condition given replaces the old one whole.',
} as const;

export const listAlertRulesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { enum: ['enabled', 'disabled'] },
    kind: { enum: alertRuleKinds },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    min_position: { type: 'string' },
  },
} as const;

export const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;
