/** The OpenAPI description of the skill catalog and of installing skills on instances. */
import { json } from './openapi-common.js';
import { streamVersion } from './openapi-schemas.js';
import { deprecateSkillVersionBody, installSkillBody, listSkillsQuery, publishSkillBody } from './skill-schemas.js';

const versionProperties = {
  version: { type: 'string', description: 'Semantic version.' },
  description: { type: 'string' },
  category: { type: 'string' },
  tags: { type: 'array', items: { type: 'string' } },
  parameters_schema: { type: 'object', description: "The JSON Schema (2020-12) an install's parameters must match." },
  deprecated: { type: 'boolean' },
  deprecation_reason: { type: ['string', 'null'] },
  published_at: { type: 'string', format: 'date-time' },
} as const;

const skillVersionSchema = {
  type: 'object',
  description: 'A published version: never changes, except that it may be deprecated.',
  required: ['object', 'name', ...Object.keys(versionProperties)],
  properties: { object: { const: 'skill_version' }, name: { type: 'string' }, ...versionProperties },
} as const;

const skillSchema = {
  type: 'object',
  description: "A skill of the team's catalog; description, category and tags are its latest version's.",
  required: ['object', 'id', 'name', 'description', 'category', 'tags', 'latest_version', 'versions', 'created_at', 'updated_at', 'revision', 'position'],
  properties: {
    object: { const: 'skill' },
    id: { type: 'string', description: '`<team id>.<name>`.' },
    name: { type: 'string' },
    description: { type: 'string' },
    category: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    latest_version: {
      type: 'string',
      description: 'The newest release not deprecated (a pre-release only when there is no release; the newest of all when every version is deprecated).',
    },
    versions: {
      type: 'array',
      description: 'Newest first.',
      items: { type: 'object', required: Object.keys(versionProperties), properties: versionProperties },
    },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    ...streamVersion,
  },
} as const;

export const skillSchemas = { Skill: skillSchema, SkillVersion: skillVersionSchema };

type Parameter = { readonly name: string; readonly in: string; readonly schema: object; readonly required?: boolean; readonly description?: string };

const queryParams = (['q', 'category', 'tag'] as const).map((name) => ({
  name,
  in: 'query',
  schema: listSkillsQuery.properties[name],
  ...('description' in listSkillsQuery.properties[name] ? { description: listSkillsQuery.properties[name].description } : {}),
}));
const path = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });
const nameParam = path('name', "The skill's name.");
const versionParam = path('version', 'A published version, e.g. `1.4.0`.');
const teamParam = path('team_id', 'The id of a team whose policy makes its skill catalog public.');

const skill = { $ref: '#/components/schemas/Skill' };
const instanceWithLink = {
  allOf: [
    { $ref: '#/components/schemas/Instance' },
    {
      type: 'object',
      required: ['links'],
      properties: {
        links: {
          type: 'object',
          required: ['remediation'],
          properties: {
            remediation: {
              type: 'string',
              description:
                "The instance's drift events: the next heartbeat that reports a configuration other than the new spec opens one there, whose remediation brings the agent to it.",
            },
          },
        },
      },
    },
  ],
};

export const skillPaths = (common: {
  readonly pageParams: readonly Parameter[];
  readonly minPosition: Parameter;
  readonly idempotencyKey: Parameter;
  readonly idParam: Parameter;
  readonly listOf: (item: object) => object;
}) => {
  const list = {
    parameters: [...queryParams, ...common.pageParams, common.minPosition],
    responses: { '200': { description: 'A page of skills, by name', ...json(common.listOf(skill)) } },
  };
  return {
    '/skills': {
      post: {
        summary: "Publish a version of a skill of your team's catalog (developers); the skill is created with its first version",
        description: 'The same version again with the same body changes nothing; with another body it is a 409: versions are immutable.',
        parameters: [common.idempotencyKey],
        requestBody: { required: true, ...json(publishSkillBody) },
        responses: { '201': { description: 'The skill with the version', ...json(skill) } },
      },
      get: { summary: "List your team's skills by name; `q` searches name and description", ...list },
    },
    '/skills/{name}': {
      get: {
        summary: 'A skill with all its versions',
        parameters: [nameParam, common.minPosition],
        responses: { '200': { description: 'The skill', ...json(skill) } },
      },
    },
    '/skills/{name}/versions/{version}': {
      get: {
        summary: 'One version of a skill',
        parameters: [nameParam, versionParam, common.minPosition],
        responses: { '200': { description: 'The version', ...json({ $ref: '#/components/schemas/SkillVersion' }) } },
      },
    },
    '/skills/{name}/versions/{version}/deprecate': {
      post: {
        summary: 'Deprecate a version (developers): installs keep it, but it is not installed anew nor chosen for a range',
        parameters: [nameParam, versionParam, common.idempotencyKey],
        requestBody: { required: true, ...json(deprecateSkillVersionBody) },
        responses: { '200': { description: 'The skill', ...json(skill) } },
      },
    },
    '/instances/{id}/skills': {
      post: {
        summary: "Install a version of a skill of your team's catalog on an instance (operators): a change of its desired spec",
        description:
          "The parameters are checked against the version's schema (400 naming the field). Installing what is installed already, at that version with those parameters, records nothing.",
        parameters: [common.idParam, common.idempotencyKey],
        requestBody: { required: true, ...json(installSkillBody) },
        responses: { '200': { description: 'The instance with its new spec, and where its remediation will show', ...json(instanceWithLink) } },
      },
    },
    '/instances/{id}/skills/{name}': {
      delete: {
        summary: "Remove a skill from an instance's desired spec (operators); 404 when the spec does not declare it",
        parameters: [common.idParam, nameParam],
        responses: { '200': { description: 'The instance with its new spec, and where its remediation will show', ...json(instanceWithLink) } },
      },
    },
    '/public/teams/{team_id}/skills': {
      get: {
        summary: "List a team's skills without a key, if its policy makes the catalog public (404 otherwise)",
        ...list,
        parameters: [teamParam, ...list.parameters],
      },
    },
    '/public/teams/{team_id}/skills/{name}': {
      get: {
        summary: "A skill of a team's public catalog, without a key (404 unless the team made its catalog public)",
        parameters: [teamParam, nameParam, common.minPosition],
        responses: { '200': { description: 'The skill', ...json(skill) } },
      },
    },
  };
};
