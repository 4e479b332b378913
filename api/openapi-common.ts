/**
 * What every part of the OpenAPI document shares, and the one place that gives every
 * operation the answers Bosun's middleware adds to it: errors by status, the request id,
 * rate-limit and retry headers, and who may call it (from the permission table).
 */
import { matchableCollections } from './conditional.js';
import { routePermissions, type Access } from './permissions.js';

export const json = (schema: object) => ({ content: { 'application/json': { schema } } });

/** A Server-Sent Events body, described event by event: `data` is the named schema in JSON. */
export const serverSentEvents = (dataSchema: string) => ({
  'text/event-stream': {
    schema: {
      type: 'object',
      description: 'Each Server-Sent Event, as its fields: `id`, `event` and `data` (JSON).',
      required: ['id', 'event', 'data'],
      properties: {
        id: { type: 'string' },
        event: { type: 'string' },
        data: { type: 'string', contentMediaType: 'application/json', contentSchema: { $ref: `#/components/schemas/${dataSchema}` } },
      },
    },
  },
});

/** The answers an operation defines itself: its successes, and errors it alone answers. */
export type Responses = Record<string, object>;

type Operation = {
  parameters?: readonly { readonly name: string; readonly in: string }[];
  requestBody?: object;
  responses: Responses;
  security?: readonly object[];
  [key: string]: unknown;
};

const methods = ['get', 'put', 'post', 'patch', 'delete'] as const;

const header = (description: string, schema: object = { type: 'string' }) => ({ description, schema });

export const commonComponents = {
  headers: {
    RequestId: header('The request id: the one sent in X-Request-Id if it was sane, else a new one; errors repeat it as `request_id`.'),
    RateLimitLimit: header("The rate limiter's bucket size per API key: the burst (twice the sustained rate by default).", { type: 'integer' }),
    RateLimitRemaining: header('Requests this key may make right now.', { type: 'integer' }),
    RateLimitReset: header('Unix time, in seconds, at which the bucket is full again.', { type: 'integer' }),
    RateLimitPolicy: header('The quota as `<limit>;w=<seconds>` (IETF RateLimit headers draft): the sustained rate is limit / w.'),
    RetryAfter: header('Seconds to wait before trying again.', { type: 'integer' }),
    ETag: header('The revision this representation is of, as an entity tag: send it back as If-Match to write only if nobody wrote since.'),
  },
  responses: Object.fromEntries(
    (
      [
        ['BadRequest', 'The request is malformed or a field is invalid; `param` names it'],
        ['Unauthorized', 'No credential, or one that is not valid or was revoked'],
        ['Forbidden', "The key's role is below what the operation needs"],
        ['NotFound', "No such resource in the caller's team"],
        ['Conflict', 'The resource is not in a state that allows this, or an Idempotency-Key was reused with another request'],
        ['PreconditionFailed', 'The resource has moved on from the revision If-Match names: read it again and decide anew'],
        ['PayloadTooLarge', 'The body is larger than 1 MiB'],
        ['UnsupportedMediaType', 'The body is not JSON'],
        ['TooManyRequests', "The key's rate limit is reached; retry after Retry-After seconds"],
        ['Unavailable', 'The read models have not reached X-Min-Position within the wait; retry after Retry-After seconds'],
        ['InternalError', 'An unexpected error; the server log has it under the request id'],
      ] as const
    ).map(([name, description]) => [
      name,
      {
        description,
        headers: {
          'X-Request-Id': { $ref: '#/components/headers/RequestId' },
          ...(name === 'TooManyRequests' || name === 'Unavailable' ? { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } : {}),
        },
        ...json({ $ref: '#/components/schemas/Error' }),
      },
    ]),
  ),
} as const;

const ref = (name: keyof typeof commonComponents.responses) => ({ $ref: `#/components/responses/${name}` });

/** The route key of the permission table for a documented operation. */
const routeKeyOf = (method: string, path: string, atRoot: boolean) => `${method.toUpperCase()} ${atRoot ? '' : '/api/v1'}${path.replace(/\{(\w+)\}/g, ':$1')}`;

const keyed = (access: Access) => access !== 'public' && access !== 'agent';

/** Single resources whose answers carry an ETag; the writes to the first three take If-Match (see api/conditional.ts). */
const tagged = /^\/(tasks|instances|alerts|drift-events)\/\{id\}/;
const matchable = new RegExp(`^/(${matchableCollections.join('|')})/\\{id\\}`);
const ifMatch = {
  name: 'If-Match',
  in: 'header',
  schema: { type: 'string', pattern: '^"\\d+"$' },
  description: 'The ETag of the representation the write was decided on; 412 if the resource has moved on since.',
};

/**
 * Completes every operation of `paths`: the error answers its middleware may give (by what
 * it takes: a key, a role, an id, a body, X-Min-Position), the headers every answer
 * carries, its security, and `x-bosun-access` from the permission table, which must list
 * it (a documented route that the table does not know is a mistake, thrown here).
 */
export const withCommonAnswers = <P extends Record<string, Record<string, unknown>>>(paths: P): P =>
  Object.fromEntries(
    Object.entries(paths).map(([path, item]) => {
      const atRoot = Array.isArray(item.servers) && (item.servers as { url: string }[])[0]?.url === '/';
      const completed = Object.fromEntries(
        Object.entries(item).map(([method, value]) => {
          if (!(methods as readonly string[]).includes(method)) return [method, value];
          const operation = value as Operation;
          const key = routeKeyOf(method, path, atRoot);
          const access = (routePermissions as Record<string, Access>)[key];
          if (access === undefined) throw new Error(`the OpenAPI document describes ${key}, which the permission table does not list`);
          const conditional = method !== 'get' && matchable.test(path);
          const params = [...(operation.parameters ?? []), ...(conditional ? [ifMatch] : [])];
          const errors: Responses = {
            ...(params.length > 0 || operation.requestBody || access !== 'public' ? { '400': ref('BadRequest') } : {}),
            ...(access !== 'public' && !(operation.security?.length === 0) ? { '401': ref('Unauthorized') } : {}),
            ...(keyed(access) ? { '403': ref('Forbidden'), '429': ref('TooManyRequests') } : {}),
            ...(params.some((p) => p.in === 'path') ? { '404': ref('NotFound') } : {}),
            ...(method !== 'get' && access !== 'public' ? { '409': ref('Conflict') } : {}),
            ...(operation.requestBody ? { '413': ref('PayloadTooLarge'), '415': ref('UnsupportedMediaType') } : {}),
            ...(conditional ? { '412': ref('PreconditionFailed') } : {}),
            ...(params.some((p) => p.name === 'X-Min-Position') ? { '503': ref('Unavailable') } : {}),
            default: ref('InternalError'),
          };
          const headers = {
            'X-Request-Id': { $ref: '#/components/headers/RequestId' },
            ...(keyed(access)
              ? {
                  'X-RateLimit-Limit': { $ref: '#/components/headers/RateLimitLimit' },
                  'X-RateLimit-Remaining': { $ref: '#/components/headers/RateLimitRemaining' },
                  'X-RateLimit-Reset': { $ref: '#/components/headers/RateLimitReset' },
                  'RateLimit-Policy': { $ref: '#/components/headers/RateLimitPolicy' },
                }
              : {}),
          };
          const etag = tagged.test(path) && !/\/(events|result|lifecycle|snapshots|history|security-score)$/.test(path);
          const own = Object.fromEntries(
            Object.entries(operation.responses).map(([status, response]) => [
              status,
              '$ref' in response
                ? response
                : {
                    ...response,
                    headers: {
                      ...headers,
                      ...(etag && status.startsWith('2') ? { ETag: { $ref: '#/components/headers/ETag' } } : {}),
                      ...((response as { headers?: object }).headers ?? {}),
                    },
                  },
            ]),
          );
          const notModified = etag && method === 'get' ? { '304': { description: 'Not modified: If-None-Match has the current ETag', headers } } : {};
          const security = access === 'public' ? [] : access === 'agent' ? (operation.security ?? [{ agentCredential: [] }]) : operation.security;
          return [
            method,
            {
              ...operation,
              ...(params.length > 0 ? { parameters: params } : {}),
              ...(security ? { security } : {}),
              'x-bosun-access': access,
              responses: { ...errors, ...notModified, ...own },
            },
          ];
        }),
      );
      return [path, completed];
    }),
  ) as P;
