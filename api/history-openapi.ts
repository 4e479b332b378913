/**
 * The OpenAPI description of time travel and history, for every resource of the registry
 * (api/stream-resources.ts): `as_of` on its single read, and its `/history`.
 */
import { json } from './openapi-common.js';
import { historyQuery } from './schemas.js';
import { streamCollections, streamResources } from './stream-resources.js';

const asOfParam = {
  name: 'as_of',
  in: 'query',
  schema: {
    oneOf: [
      { type: 'string', format: 'date-time' },
      { type: 'string', pattern: '^\\d+$' },
    ],
  },
  description: [
    'The resource as it was at this moment, folded from its stream (not the read models): an RFC 3339 date-time with an offset',
    '(events that occurred at or before it) or a log position (events at or below it). A moment later than now or beyond the log is a 400;',
    'one before the resource existed is a 404 with code `resource_not_yet_existing`. The answer states the moment in `X-As-Of`;',
    'its `revision`, `position` and ETag are those of the last event folded. X-Min-Position is not waited for.',
  ].join(' '),
};

const asOfHeader = {
  description: 'Present when `as_of` was given: the moment answered, as the position or the instant in UTC.',
  schema: { type: 'string' },
};

const listOf = (item: object) => ({
  type: 'object',
  required: ['data', 'has_more', 'next_cursor'],
  properties: { data: { type: 'array', items: item }, has_more: { type: 'boolean' }, next_cursor: { type: ['string', 'null'] } },
});

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const { order, type, from, to, limit, cursor } = historyQuery.properties;
const historyParams = [
  idParam,
  { name: 'order', in: 'query', schema: { ...order, default: 'asc' }, description: 'Oldest first (`asc`, by revision) or newest first (`desc`).' },
  { name: 'type', in: 'query', schema: type, description: 'Only these event types, comma-separated (see `/event-schemas`).' },
  { name: 'from', in: 'query', schema: { ...from, format: 'date-time' }, description: 'Only events that occurred at or after this RFC 3339 instant.' },
  { name: 'to', in: 'query', schema: { ...to, format: 'date-time' }, description: 'Only events that occurred at or before this RFC 3339 instant.' },
  { name: 'limit', in: 'query', schema: { ...limit, type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  { name: 'cursor', in: 'query', schema: cursor },
];

type Operation = { parameters?: object[]; responses: Record<string, { headers?: object }> };

/** `paths` with `as_of` on each registered single read, and each registered resource's history. */
export const withTimeTravel = <P extends Record<string, object>>(paths: P): P => {
  const completed: Record<string, object> = { ...paths };
  for (const collection of streamCollections) {
    const { resource } = streamResources[collection];
    const single = completed[`/${collection}/{id}`] as { get?: Operation } | undefined;
    if (!single?.get) throw new Error(`the OpenAPI document has no GET /${collection}/{id} to add as_of to`);
    const ok = single.get.responses['200'] ?? {};
    completed[`/${collection}/{id}`] = {
      ...single,
      get: {
        ...single.get,
        parameters: [...(single.get.parameters ?? []), asOfParam],
        responses: { ...single.get.responses, '200': { ...ok, headers: { ...ok.headers, 'X-As-Of': asOfHeader } } },
      },
    };
    completed[`/${collection}/{id}/history`] = {
      get: {
        summary: `The events of a ${resource} with who caused them and from where, oldest first by default`,
        description:
          'Each event as `/events` publishes it (a WireEvent: its data at the current schema version, and its metadata: actor, request, correlation and causation ids, client address, user agent, time).',
        parameters: historyParams,
        responses: { '200': { description: `A page of the ${resource}'s events`, ...json(listOf({ $ref: '#/components/schemas/WireEvent' })) } },
      },
    };
  }
  return completed as P;
};
