/** The OpenAPI description of key lifecycle, the caller's identity and team management (api/routes/access.ts). */
import { json } from './openapi-common.js';
import { streamVersion } from './openapi-schemas.js';
import { renameBody, rotateApiKeyBody } from './schemas.js';

type Shared = { readonly minPosition: object; readonly idParam: object; readonly idempotencyKey: object };

const apiKeyRef = { $ref: '#/components/schemas/ApiKey' };
const teamRef = { $ref: '#/components/schemas/Team' };
const written = { type: 'object', properties: streamVersion } as const;

export const accessPaths = ({ minPosition, idParam, idempotencyKey }: Shared) => ({
  '/api-keys/{id}': {
    get: {
      summary: 'One API key of your team, without its secret, with its use (admins)',
      parameters: [idParam, minPosition],
      responses: { '200': { description: 'The key', ...json(apiKeyRef) } },
    },
    patch: {
      summary: 'Rename an API key of your team (admins)',
      parameters: [idParam],
      requestBody: { required: true, ...json(renameBody) },
      responses: { '200': { description: 'The key, renamed', ...json({ allOf: [apiKeyRef, written] }) } },
    },
    delete: {
      summary: 'Delete an API key of your team (admins): it stops working at once and is no longer listed; a key cannot delete itself',
      parameters: [idParam],
      responses: {
        '200': {
          description: 'Deleted',
          ...json({
            type: 'object',
            required: ['object', 'id', 'deleted'],
            properties: { object: { const: 'api_key' }, id: { type: 'string' }, deleted: { const: true }, ...streamVersion },
          }),
        },
      },
    },
  },
  '/api-keys/{id}/rotate': {
    post: {
      summary: 'Give an API key of your team a new secret, shown once (admins); the previous secret keeps working for `grace_seconds`',
      parameters: [idParam, idempotencyKey],
      requestBody: { required: false, ...json(rotateApiKeyBody) },
      responses: {
        '200': {
          description: 'The new secret, shown once',
          ...json({
            type: 'object',
            required: ['object', 'id', 'key', 'prefix', 'previous_valid_until', 'revision', 'position'],
            properties: {
              object: { const: 'api_key' },
              id: { type: 'string' },
              key: { type: 'string', description: 'The new secret, shown once.' },
              prefix: { type: 'string' },
              previous_valid_until: { type: 'string', format: 'date-time', description: 'When the previous secret stops working.' },
              ...streamVersion,
            },
          }),
        },
      },
    },
  },
  '/me': {
    get: {
      summary: 'The caller: its API key, team and role',
      parameters: [minPosition],
      responses: {
        '200': {
          description: 'The caller',
          ...json({
            type: 'object',
            required: ['object', 'role', 'api_key', 'team'],
            properties: {
              object: { const: 'identity' },
              role: { type: 'string' },
              api_key: {
                type: 'object',
                required: ['object', 'id', 'name', 'role', 'prefix', 'expires_at'],
                properties: {
                  object: { const: 'api_key' },
                  id: { type: 'string' },
                  name: { type: 'string' },
                  role: { type: 'string' },
                  prefix: { type: 'string' },
                  expires_at: { type: ['string', 'null'], format: 'date-time' },
                },
              },
              team: teamRef,
            },
          }),
        },
      },
    },
  },
  '/teams/{id}': {
    patch: {
      summary: 'Rename a team (system team admins only)',
      parameters: [idParam],
      requestBody: { required: true, ...json(renameBody) },
      responses: { '200': { description: 'The team, renamed', ...json({ allOf: [teamRef, written] }) } },
    },
  },
});
