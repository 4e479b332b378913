import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Everything Bosun reads from its environment, checked once at start. */
export type Config = {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** KurrentDB connection string; the embedded store in `dataDir` when absent. */
  readonly eventStoreUrl: string | null;
  /** Becomes the admin key of the system team on first start; generated when absent. */
  readonly adminKey: string | null;
  readonly rateLimitPerSecond: number;
  readonly readWaitMs: number;
  readonly logLevel: string;
  /** Temporal frontend `host:port`; a local dev server in `dataDir` when absent. */
  readonly temporalAddress: string | null;
  readonly temporalNamespace: string;
  /** `off` runs the API and projections only: nothing moves tasks or instances (used by API-only tests). */
  readonly workflows: 'on' | 'off';
  readonly taskQueue: string;
  /** Seconds between an agent's heartbeats; three missed make its instance unhealthy. */
  readonly heartbeatSeconds: number;
  /** Seconds an agent has to acknowledge a task handed to it before it is requeued. */
  readonly ackTimeoutSeconds: number;
  /** Where agents reach this Bosun; `http://HOST:PORT` when absent. */
  readonly publicUrl: string | null;
  /** Kafka bootstrap brokers; the embedded bus (the log fanned out in process) when absent. */
  readonly kafkaBrokers: readonly string[] | null;
  /** Topics are `<prefix><category>`. */
  readonly kafkaTopicPrefix: string;
  /** Partitions of each topic Bosun creates. */
  readonly kafkaPartitions: number;
  /** MongoDB connection string of the read models; the embedded read store in `dataDir` when absent. */
  readonly mongodbUrl: string | null;
  /** Hours heartbeat metrics are kept (`BOSUN_METRICS_RETENTION_HOURS`). */
  readonly metricsRetentionHours: number;
  /** `off` serves no /metrics and records none (`BOSUN_METRICS`). */
  readonly metrics: 'on' | 'off';
  /** Wraps the data keys that seal secrets and personal data (`BOSUN_MASTER_KEY`); generated into `dataDir` when absent. */
  readonly masterKey: Buffer | null;
  /** Ed25519 private key that signs the log's seals (`BOSUN_AUDIT_SIGNING_KEY`, a PEM file); seals are unsigned when absent. */
  readonly auditSigningKey: KeyObject | null;
  /** A seal is written once this many events are unsealed (`BOSUN_AUDIT_SEAL_EVENTS`)... */
  readonly auditSealEvents: number;
  /** ...or this many seconds after the last one, when anything is unsealed (`BOSUN_AUDIT_SEAL_SECONDS`). */
  readonly auditSealSeconds: number;
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const integer = (env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
};

const oneOf = <T extends string>(env: NodeJS.ProcessEnv, name: string, values: readonly T[], fallback: T): T => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!values.includes(raw as T)) throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
};

const brokers = (raw: string | undefined): readonly string[] | null => {
  if (!raw) return null;
  const list = raw.split(',').map((broker) => broker.trim());
  for (const broker of list) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) throw new ConfigError(`KAFKA_BROKERS must be a comma-separated list of host:port, got "${broker}" in "${raw}"`);
  }
  return list;
};

const mongodbUrl = (raw: string | undefined): string | null => {
  if (!raw) return null;
  if (!/^mongodb(\+srv)?:\/\//.test(raw)) throw new ConfigError(`MONGODB_URL must start with mongodb:// or mongodb+srv://, got "${raw}"`);
  return raw;
};

/** 32 bytes in base64 or hex. */
export const decodeMasterKey = (raw: string): Buffer => {
  const trimmed = raw.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new ConfigError(`BOSUN_MASTER_KEY must be 32 bytes in base64 (44 characters) or hex (64 characters), got ${key.length} bytes`);
  return key;
};

const signingKey = (path: string | undefined): KeyObject | null => {
  if (!path) return null;
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path));
  } catch (error) {
    throw new ConfigError(`BOSUN_AUDIT_SIGNING_KEY must name a readable PEM file holding an Ed25519 private key; ${path}: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ConfigError(`BOSUN_AUDIT_SIGNING_KEY must hold an Ed25519 private key; ${path} holds a ${String(key.asymmetricKeyType)} key`);
  }
  return key;
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const adminKey = env.BOSUN_ADMIN_KEY || null;
  if (adminKey !== null && adminKey.length < 16) throw new ConfigError('BOSUN_ADMIN_KEY must be at least 16 characters');
  return {
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 8080, 0, 65535),
    dataDir: resolve(env.BOSUN_DATA_DIR || '.data'),
    eventStoreUrl: env.EVENTSTORE_URL || null,
    adminKey,
    rateLimitPerSecond: integer(env, 'BOSUN_RATE_LIMIT', 100, 1, 10_000_000),
    readWaitMs: integer(env, 'BOSUN_READ_WAIT_MS', 5000, 0, 60_000),
    logLevel: env.LOG_LEVEL || 'info',
    temporalAddress: env.TEMPORAL_ADDRESS || null,
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    workflows: oneOf(env, 'BOSUN_WORKFLOWS', ['on', 'off'] as const, 'on'),
    taskQueue: env.BOSUN_TASK_QUEUE || 'bosun',
    heartbeatSeconds: integer(env, 'BOSUN_HEARTBEAT_SECONDS', 5, 1, 3600),
    ackTimeoutSeconds: integer(env, 'BOSUN_ACK_TIMEOUT_SECONDS', 30, 1, 3600),
    publicUrl: env.BOSUN_PUBLIC_URL || null,
    kafkaBrokers: brokers(env.KAFKA_BROKERS),
    kafkaTopicPrefix: env.KAFKA_TOPIC_PREFIX || 'bosun.events.',
    kafkaPartitions: integer(env, 'KAFKA_PARTITIONS', 3, 1, 1000),
    mongodbUrl: mongodbUrl(env.MONGODB_URL),
    metricsRetentionHours: integer(env, 'BOSUN_METRICS_RETENTION_HOURS', 168, 1, 8760),
    metrics: oneOf(env, 'BOSUN_METRICS', ['on', 'off'] as const, 'on'),
    masterKey: env.BOSUN_MASTER_KEY ? decodeMasterKey(env.BOSUN_MASTER_KEY) : null,
    auditSigningKey: signingKey(env.BOSUN_AUDIT_SIGNING_KEY),
    auditSealEvents: integer(env, 'BOSUN_AUDIT_SEAL_EVENTS', 10_000, 1, 10_000_000),
    auditSealSeconds: integer(env, 'BOSUN_AUDIT_SEAL_SECONDS', 60, 1, 86_400),
  };
};
