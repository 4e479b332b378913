/** Skill catalog request bodies and query strings: validated by ajv and published in the OpenAPI document. */

const name = {
  type: 'string',
  pattern: '^[a-z0-9][a-z0-9._-]*$',
  maxLength: 100,
  description: 'Lower-case letters, digits, `.`, `_` and `-`, e.g. `git`.',
} as const;

export const skillNamePattern = new RegExp(name.pattern);

export const publishSkillBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version', 'category', 'parameters_schema'],
  properties: {
    name,
    version: { type: 'string', minLength: 1, maxLength: 100, description: 'A semantic version in its canonical form, e.g. `1.4.0` (not `v1.4.0`).' },
    description: { type: 'string', maxLength: 2000, description: 'Default: empty.' },
    category: { type: 'string', minLength: 1, maxLength: 100, description: 'One category, e.g. `vcs`.' },
    tags: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 50 }, uniqueItems: true, maxItems: 20, description: 'Default: none.' },
    parameters_schema: {
      type: 'object',
      description:
        'A JSON Schema (2020-12) the parameters of an install must match; checked as a schema when published (unknown keywords and formats are refused).',
    },
  },
} as const;

export const listSkillsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      description: 'Skills whose name or description holds this text (letters A-Z compared case-insensitively).',
    },
    category: { type: 'string', minLength: 1, maxLength: 100 },
    tag: { type: 'string', minLength: 1, maxLength: 50, description: 'Skills whose latest version has this tag.' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
    min_position: { type: 'string' },
  },
} as const;

export const deprecateSkillVersionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'Why, for whoever has it installed.' } },
} as const;

export const installSkillBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'version'],
  properties: {
    name,
    version: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      description: 'A published version (`1.4.0`), or a range (`^1.4`, `~1.4.0`, `>=1 <3`) resolved to the newest version it matches that is not deprecated.',
    },
    parameters: { type: 'object', description: "Matched against the version's `parameters_schema`. Default: `{}`." },
  },
} as const;
