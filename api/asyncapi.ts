import type { EventSchemaRegistry } from '../events/event-schemas.js';
import { eventCatalog, type PublishedEventType } from './event-catalog.js';
import { eventMetadataSchema, wireEventSchema } from './wire-event-schema.js';

/** Kafka topic of a category: one per aggregate category. */
export const topicOf = (category: string): string => `bosun.events.${category}`;

const kafkaBinding = { bindingVersion: '0.5.0' } as const;
const digits = { type: 'string', pattern: '^[0-9]+$' };

/** Kafka headers (UTF-8 text): what a consumer may route or dedupe on without parsing the value. */
const headersOf = ({ type, version }: PublishedEventType) => ({
  type: 'object',
  required: ['event-type', 'schema-version', 'position', 'revision', 'tenant', 'event-id', 'stream'],
  properties: {
    'event-type': { type: 'string', const: type },
    'schema-version': { type: 'string', const: String(version) },
    position: { ...digits, description: "The event's place in the global log (decimal)." },
    revision: { ...digits, description: "The event's 0-based index in its stream (decimal)." },
    tenant: { type: 'string', description: 'Id of the team the event belongs to.' },
    'event-id': { type: 'string', description: 'Unique id of the event: dedupe by it.' },
    stream: { type: 'string', description: 'The stream id, as the key.' },
  },
});

const messageOf = (entry: PublishedEventType) => {
  // The dialect is the document's (AsyncAPI Schema, a superset of draft-07, which these schemas keep to).
  const { $schema: _dialect, ...data } = entry.schema;
  return {
    name: entry.type,
    title: entry.type,
    summary: `${entry.type}, schema version ${entry.version}`,
    ...(typeof entry.schema.description === 'string' ? { description: entry.schema.description } : {}),
    contentType: 'application/json',
    headers: headersOf(entry),
    payload: wireEventSchema({
      type: { const: entry.type },
      schema_version: { const: entry.version },
      stream: { pattern: `^${entry.category}-` },
      data,
    }),
    bindings: {
      kafka: {
        key: { type: 'string', description: `The stream id, \`${entry.category}-<id>\`: a stream's events share a partition, in order.` },
        ...kafkaBinding,
      },
    },
  };
};

const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

const build = (registry: EventSchemaRegistry) => {
  const catalog = [...eventCatalog(registry)].filter(([, types]) => types.length > 0);
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Bosun events',
      version: '1',
      description: [
        "Every event of Bosun's log, published to Kafka for analytics consumers: one topic per aggregate category, keyed by stream id.",
        'Topic names are shown with the default prefix `bosun.events.` (KAFKA_TOPIC_PREFIX sets another).',
        'Delivery is at least once: after a relay restart an event may come again; dedupe by `id` (or by `stream` and `revision`).',
        "A stream's events are in order within its partition; there is no order across partitions or topics (use `position` for the global order).",
        'Events stored at an older schema version are upcast before publishing: a topic carries each type at its current version.',
        "Over HTTP the same events (of the caller's team) are at `GET /api/v1/events`, NDJSON or Server-Sent Events.",
      ].join(' '),
    },
    defaultContentType: 'application/json',
    servers: {
      kafka: {
        host: '{bootstrap}',
        protocol: 'kafka',
        description: "The Kafka cluster Bosun's relay publishes to.",
        variables: { bootstrap: { default: 'localhost:9092', description: 'Bootstrap server, host:port.' } },
      },
    },
    channels: Object.fromEntries(
      catalog.map(([category, types]) => [
        category,
        {
          address: topicOf(category),
          title: `${category} events`,
          description: `Events of \`${category}-<id>\` streams. 3 partitions unless KAFKA_PARTITIONS says otherwise; kept forever.`,
          messages: Object.fromEntries(types.map(({ type }) => [type, { $ref: `#/components/messages/${type}` }])),
          bindings: { kafka: { partitions: 3, topicConfiguration: { 'cleanup.policy': ['delete'], 'retention.ms': -1 }, ...kafkaBinding } },
        },
      ]),
    ),
    operations: Object.fromEntries(
      catalog.map(([category, types]) => [
        `receive${capitalized(category)}Events`,
        {
          action: 'receive',
          channel: { $ref: `#/channels/${category}` },
          summary: `Consume ${category} events with a consumer group of your own.`,
          messages: types.map(({ type }) => ({ $ref: `#/channels/${category}/messages/${type}` })),
          bindings: { kafka: { groupId: { type: 'string', description: 'Your consumer group: each group gets every event.' }, ...kafkaBinding } },
        },
      ]),
    ),
    components: {
      schemas: { EventMetadata: eventMetadataSchema },
      messages: Object.fromEntries(catalog.flatMap(([, types]) => types.map((entry) => [entry.type, messageOf(entry)]))),
    },
  };
};

const documents = new WeakMap<EventSchemaRegistry, ReturnType<typeof build>>();

/** AsyncAPI 3.0 of the Kafka topics, built once per registry from the published event schemas. */
export const asyncApiDocument = (registry: EventSchemaRegistry): ReturnType<typeof build> => {
  let document = documents.get(registry);
  if (!document) documents.set(registry, (document = build(registry)));
  return document;
};
