import { createRequire } from 'node:module';
import { Ajv, type AnySchema } from 'ajv';
import addFormats from 'ajv-formats';
import t from 'tap';
import { eventCategories } from '../../api/event-catalog.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import { adminKey, startTestBosun } from './harness.js';

// The official AsyncAPI 3.0.0 JSON Schema (draft-07), as the AsyncAPI initiative publishes it.
const asyncApiSpec = createRequire(import.meta.url)('@asyncapi/specs/schemas/3.0.0.json') as AnySchema;

/** The value at a local `$ref` (`#/a/b`) of `document`, or undefined. */
const resolve = (document: unknown, ref: string): unknown =>
  ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], document);

const refsIn = (node: unknown): string[] => {
  if (Array.isArray(node)) return node.flatMap(refsIn);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' && typeof value === 'string' ? [value] : refsIn(value)));
};

t.test('AsyncAPI document of the event topics', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const served = await app.call('GET', '/api/v1/asyncapi.json', { key: null });
  const doc = served.body;
  const registry = loadEventSchemas();
  const current = new Map<string, { version: number; schema: Record<string, unknown> }>();
  for (const { type, version, schema } of registry.schemas()) {
    if ((current.get(type)?.version ?? 0) < version) current.set(type, { version, schema: schema as Record<string, unknown> });
  }

  t.test('is served without a key, and is valid AsyncAPI 3.0', async (t) => {
    t.equal(served.status, 200);
    t.match(served.headers.get('content-type'), /^application\/json/);
    t.equal(doc.asyncapi, '3.0.0');
    // The bundle carries its own copy of the draft-07 meta-schema, which Ajv would otherwise add a second time.
    const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
    addFormats.default(ajv);
    const validate = ajv.compile(asyncApiSpec);
    t.ok(validate(doc), 'valid against the official schema');
    t.same(validate.errors ?? [], [], 'no errors');
  });

  t.test('every local reference resolves', async (t) => {
    const refs = [...new Set(refsIn(doc))];
    t.ok(refs.length > 0);
    t.same(
      refs.filter((ref) => resolve(doc, ref) === undefined),
      [],
    );
  });

  t.test('one channel per category topic; one message per event type at its current version', async (t) => {
    t.same(Object.keys(doc.channels).sort(), [...eventCategories].sort());
    for (const [category, channel] of Object.entries<any>(doc.channels)) {
      t.equal(channel.address, `bosun.events.${category}`);
      t.same(Object.keys(channel.messages).sort(), [...current.keys()].filter((type) => type.startsWith(`${category}.`)).sort());
      t.equal(channel.bindings.kafka.partitions, 3);
    }
    t.same(Object.keys(doc.components.messages).sort(), [...current.keys()].sort());
    for (const [type, { version, schema }] of current) {
      const message = doc.components.messages[type];
      t.equal(message.payload.properties.type.const, type);
      t.equal(message.payload.properties.schema_version.const, version);
      const { $schema: _dialect, ...data } = schema;
      t.same(message.payload.properties.data, data, `${type}: data is its published schema`);
      t.same(message.headers.required, ['event-type', 'schema-version', 'position', 'revision', 'tenant', 'event-id', 'stream']);
      t.equal(message.headers.properties['schema-version'].const, String(version));
      t.equal(message.bindings.kafka.key.type, 'string', `${type}: the key is the stream id`);
    }
    t.equal(doc.components.messages['task.submitted'].payload.properties.schema_version.const, 3, 'task.submitted is published at v3');
  });

  t.test('one receive operation per channel, naming every message of it', async (t) => {
    const operations = Object.values<any>(doc.operations);
    t.equal(operations.length, eventCategories.length);
    for (const operation of operations) {
      t.equal(operation.action, 'receive');
      const channel = resolve(doc, operation.channel.$ref) as { messages: Record<string, unknown> };
      t.same(
        operation.messages.map((message: { $ref: string }) => message.$ref),
        Object.keys(channel.messages).map((type) => `${operation.channel.$ref}/messages/${type}`),
      );
    }
  });

  t.test('a real event, as GET /events sends it, matches its message payload', async (t) => {
    const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { text: 'hi' } } });
    t.equal(submitted.status, 202);
    const response = await fetch(`${app.bosun.url}/api/v1/events?type=task.submitted`, { headers: { authorization: `Bearer ${adminKey}` } });
    const [line] = (await response.text()).split('\n');
    const event = JSON.parse(line as string);
    const ajv = new Ajv({ strict: false });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'bosun-asyncapi', components: doc.components });
    const validate = ajv.compile({ $ref: 'bosun-asyncapi#/components/messages/task.submitted/payload' });
    t.ok(validate(event), JSON.stringify(validate.errors));
  });

  t.test('the OpenAPI document describes both routes', async (t) => {
    const openapi = (await app.call('GET', '/api/v1/openapi.json', { key: null })).body;
    const events = openapi.paths['/events'].get;
    t.same(
      events.parameters.map((p: { name: string }) => p.name),
      ['from', 'category', 'type', 'follow', 'Last-Event-ID', 'last_event_id'],
    );
    t.same([...events.parameters[1].schema.items.enum].sort(), Object.keys(doc.channels).sort(), 'categories are the AsyncAPI channels');
    t.same(Object.keys(events.responses['200'].content), ['application/x-ndjson', 'text/event-stream']);
    t.ok(openapi.components.schemas.WireEvent && openapi.components.schemas.EventMetadata);
    t.same(openapi.paths['/asyncapi.json'].get.security, [], 'no key needed');
  });
});
