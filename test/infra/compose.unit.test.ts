/**
 * docker-compose.yml is valid against the Compose specification's JSON Schema (draft-07,
 * vendored in fixtures/compose-spec.json: see fixtures/compose-spec.md for its source),
 * and wires Bosun to every engine it names: no Docker is needed to check that.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type AnySchema } from 'ajv';
import t from 'tap';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..', '..');
const schema = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');

type Service = {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: unknown[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const compose = parse(text) as Compose;

const environment = (service: Service): Record<string, string> => {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0] ?? entry, entry.includes('=') ? entry.slice(entry.indexOf('=') + 1) : '']));
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
};

const dependsOn = (service: Service): Record<string, string | undefined> => {
  const deps = service.depends_on ?? {};
  return Array.isArray(deps)
    ? Object.fromEntries(deps.map((name) => [name, undefined]))
    : Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep.condition]));
};

t.test('the compose file is valid against the Compose specification', async (t) => {
  // The schema's $schema is "https://json-schema.org/draft-07/schema", which Ajv knows as
  // "http://json-schema.org/draft-07/schema#": the same draft under another name.
  const { $schema, ...body } = schema;
  t.match($schema, /draft-07/, 'the vendored schema is draft-07');
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(body as AnySchema);
  const valid = validate(compose);
  t.ok(valid, 'docker-compose.yml matches compose-spec.json');
  if (!valid) t.comment(JSON.stringify(validate.errors, null, 2));

  // the validator itself catches what it should
  t.notOk(validate({ services: { x: { image: 'a', depends_on: { y: { condition: 'service_ready' } } } } }), 'an unknown depends_on condition is refused');
  t.notOk(validate({ services: { x: { image: 'a', healthcheck: { interval: 5 } } } }), 'a healthcheck interval must be a duration string');
  t.notOk(validate({ servicez: {} }), 'an unknown top-level key is refused');
  t.notOk(validate({ services: { x: { imagez: 'a' } } }), 'an unknown service key is refused');
});

t.test('every service Bosun depends on exists, is healthchecked, and Bosun waits for it to be healthy', async (t) => {
  const services = compose.services;
  const bosun = services.bosun;
  if (!bosun) return t.fail('no bosun service');
  t.ok(bosun.build, 'bosun is built from the repository (Dockerfile)');
  for (const [name, service] of Object.entries(services)) {
    t.ok(service.image ?? service.build, `${name} has an image or a build`);
    t.ok(service.healthcheck?.test && !service.healthcheck.disable, `${name} has a healthcheck`);
    for (const [target, condition] of Object.entries(dependsOn(service))) {
      t.ok(services[target], `${name} depends on ${target}, which is a service`);
      t.equal(condition, 'service_healthy', `${name} waits for ${target} to be healthy`);
    }
  }
  t.same(Object.keys(dependsOn(bosun)).sort(), ['kafka', 'kurrentdb', 'mongodb', 'temporal'], 'bosun waits for every engine');
  const volumes = Object.values(services).flatMap((service) => ((service as { volumes?: string[] }).volumes ?? []).map((v) => v.split(':')[0] ?? ''));
  for (const volume of volumes.filter((v) => !v.startsWith('.') && !v.startsWith('/')))
    t.ok(compose.volumes?.[volume] !== undefined, `named volume ${volume} is declared`);
});

t.test("bosun's environment names every engine by its service's name and port", async (t) => {
  const env = environment(compose.services.bosun!);
  t.equal(env.HOST, '0.0.0.0', 'the API listens on every interface of its container');
  t.equal(env.PORT, '8080');
  t.match(env.EVENTSTORE_URL, /^kurrentdb:\/\/kurrentdb:2113\?tls=false$/, 'EVENTSTORE_URL is the kurrentdb service');
  t.equal(env.KAFKA_BROKERS, 'kafka:9092', 'KAFKA_BROKERS is the kafka service');
  t.match(env.MONGODB_URL, /^mongodb:\/\/mongodb:27017\/\w+\?replicaSet=rs0$/, 'MONGODB_URL is the mongodb replica set, with a database');
  t.equal(env.TEMPORAL_ADDRESS, 'temporal:7233', 'TEMPORAL_ADDRESS is the temporal service');
  t.ok(env.BOSUN_DATA_DIR, 'BOSUN_DATA_DIR is set (a volume)');

  const kafka = environment(compose.services.kafka!);
  t.match(kafka.KAFKA_ADVERTISED_LISTENERS, /PLAINTEXT:\/\/kafka:9092/, 'kafka advertises the name Bosun reaches it by');
  t.equal(Buffer.from(kafka.CLUSTER_ID ?? '', 'base64url').length, 16, 'kafka CLUSTER_ID is 16 bytes in base64url');
  const mongodb = compose.services.mongodb!;
  t.match(JSON.stringify(mongodb), /--replSet.*rs0/, 'mongodb runs as replica set rs0');
  t.match(JSON.stringify(mongodb.healthcheck), /rs\.initiate/, 'its healthcheck initiates the replica set');
});

t.test('the Dockerfile builds Bosun and serves it', async (t) => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  t.match(dockerfile, /^FROM node:20/m);
  t.match(dockerfile, /RUN npm ci/);
  t.match(dockerfile, /npm run build/);
  t.match(dockerfile, /CMD \["node", "dist\/cli\.js", "serve"\]/);
});
