/**
 * JSON Schemas of the published event (projections/wire-event.ts), shared by the OpenAPI
 * document (`GET /events`) and the AsyncAPI document (Kafka topics). Both documents keep
 * the metadata schema at the same path, so one reference serves both.
 */
import type { Actor } from '../events/event-store.js';

export const eventMetadataRef = { $ref: '#/components/schemas/EventMetadata' } as const;

const actorTypes = ['user', 'api_key', 'agent', 'workflow', 'system'] as const satisfies readonly Actor['type'][];
// Fails to compile when Actor gains a type this list lacks.
const everyActorType: [Exclude<Actor['type'], (typeof actorTypes)[number]>] extends [never] ? true : false = true;
void everyActorType;

const nullableString = { type: ['string', 'null'] };

export const eventMetadataSchema = {
  type: 'object',
  description: 'Who caused the event and from where.',
  required: ['actor', 'correlation_id', 'causation_id', 'request_id', 'client_ip', 'user_agent', 'occurred_at', 'schema_version'],
  properties: {
    actor: {
      type: 'object',
      required: ['type', 'id'],
      properties: { type: { enum: [...actorTypes] }, id: { type: 'string' } },
    },
    correlation_id: { type: 'string', description: 'Shared by the events of one piece of work, e.g. a task and what it caused.' },
    causation_id: { ...nullableString, description: 'Id of the event that caused this one, if any.' },
    request_id: { ...nullableString, description: 'The API request that caused it, if any.' },
    client_ip: nullableString,
    user_agent: nullableString,
    occurred_at: { type: 'string', format: 'date-time' },
    schema_version: { type: 'integer', minimum: 1, description: 'Version of the schema `data` follows (the current one: older events are upcast).' },
    command: { type: 'string', description: 'The command that decided the event (`SubmitTask`); absent on events stored before commands were recorded.' },
    idempotency: {
      type: 'object',
      description: 'Present when the command came with an Idempotency-Key.',
      required: ['key', 'request_hash'],
      properties: { key: { type: 'string' }, request_hash: { type: 'string' } },
    },
  },
};

/**
 * The envelope; `fields` narrows some of its properties (one event type's `data`, its
 * `type` constant). Unknown fields are allowed: the envelope gains fields, never loses them.
 */
export const wireEventSchema = (fields: { type?: object; schema_version?: object; stream?: object; data?: object } = {}) => ({
  type: 'object',
  required: ['id', 'type', 'schema_version', 'stream', 'revision', 'position', 'tenant', 'occurred_at', 'data', 'metadata'],
  properties: {
    id: { type: 'string', description: 'Unique id of the event: consumers dedupe by it.' },
    type: { type: 'string', description: 'Event type, e.g. `task.submitted`; `GET /api/v1/event-schemas` lists them.', ...fields.type },
    schema_version: { type: 'integer', minimum: 1, ...fields.schema_version },
    stream: { type: 'string', description: "The aggregate's stream, `<category>-<id>`: the Kafka message key.", ...fields.stream },
    revision: { type: 'integer', minimum: 0, description: '0-based index of the event in its stream.' },
    position: { type: 'integer', minimum: 1, description: 'Place in the global log; increases in log order (not necessarily by one).' },
    tenant: { type: 'string', description: 'Id of the team the event belongs to.' },
    occurred_at: { type: 'string', format: 'date-time' },
    data: fields.data ?? { description: "The payload, as the type's current schema describes it." },
    metadata: eventMetadataRef,
  },
});
