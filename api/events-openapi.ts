/** The OpenAPI description of the event stream (`GET /events`) and of the AsyncAPI document. */
import { eventCategories } from './event-catalog.js';
import { serverSentEvents } from './openapi-common.js';
import { eventMetadataSchema, wireEventSchema } from './wire-event-schema.js';

export const eventStreamSchemas = { WireEvent: wireEventSchema(), EventMetadata: eventMetadataSchema };

const position = { type: 'integer', minimum: 0 };

export const eventStreamPaths = {
  '/events': {
    get: {
      summary: "Your team's events in log order, as NDJSON or (with Accept: text/event-stream) Server-Sent Events",
      description: [
        "Other teams' events are never included. NDJSON has one WireEvent per line; empty lines are keep-alives.",
        'Server-Sent Events have `id:` the position, `event:` the type and `data:` the WireEvent; comments are keep-alives.',
        'Resume after the last position received, with `from` or (Server-Sent Events) `Last-Event-ID`.',
      ].join(' '),
      parameters: [
        {
          name: 'from',
          in: 'query',
          schema: { ...position, default: 0 },
          description: "Events after this position; a position past the log's head is refused (400).",
        },
        {
          name: 'category',
          in: 'query',
          schema: { type: 'array', items: { enum: [...eventCategories] } },
          description: 'Only these aggregate categories; repeat it or give a comma-separated list.',
        },
        {
          name: 'type',
          in: 'query',
          schema: { type: 'array', items: { type: 'string' } },
          description: 'Only these event types (see `/event-schemas`); repeat it or give a comma-separated list.',
        },
        {
          name: 'follow',
          in: 'query',
          schema: { type: 'boolean' },
          description:
            'Keep streaming new events after the head. Defaults to false for NDJSON (ends at the head as of the request), true for Server-Sent Events.',
        },
        { name: 'Last-Event-ID', in: 'header', schema: position, description: 'Resume after this position; wins over `from`.' },
        { name: 'last_event_id', in: 'query', schema: position, description: 'As the Last-Event-ID header.' },
      ],
      responses: {
        '200': {
          description: 'The stream',
          content: {
            'application/x-ndjson': { schema: { $ref: '#/components/schemas/WireEvent' } },
            ...serverSentEvents('WireEvent'),
          },
        },
      },
    },
  },
  '/asyncapi.json': {
    get: {
      summary: 'AsyncAPI 3.0 document of the Kafka topics the events are published to',
      security: [],
      responses: { '200': { description: 'The AsyncAPI document', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
};
