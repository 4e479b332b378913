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
};

export class ConfigError extends Error {}

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
  };
};
