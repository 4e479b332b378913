/**
 * Heartbeat metrics on MongoDB, beside the read models in Bosun's database: one document
 * per instance and minute in `instance_metrics`, which each heartbeat updates in place
 * (`$inc` of sums and counts, `$max` of maxima, `$set` of the last values), so a minute is
 * one write per heartbeat and one document to read. Each document carries when it expires;
 * a TTL index removes it then. FerretDB 1.24 has no TTL indexes: there the adapter removes
 * expired minutes itself, on a timer.
 */
import { MongoClient, MongoServerError, type Collection } from 'mongodb';
import type { Logger } from 'pino';
import { firstKeptMinute, minuteMs, minuteOf, type InstanceMetricsStore, type LatestMetrics, type MinuteBucket } from '../processes/instance-metrics.js';
import { databaseFromUrl, DEFAULT_DATABASE, redactUrl } from './mongo-read-store.js';

export const METRICS_COLLECTION = 'instance_metrics';

type MinuteDocument = {
  _id: string;
  tenant: string;
  instance_id: string;
  minute: Date;
  expires_at: Date;
  sums: Record<string, number>;
  counts: Record<string, number>;
  maxes: Record<string, number>;
  last: Record<string, number>;
  last_at: Date;
};

export type MongoInstanceMetricsOptions = {
  readonly url: string;
  /** @defaultValue the database in the URL's path, else Bosun's */
  readonly database?: string;
  readonly retentionMs: number;
  readonly logger: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  /** How often expired minutes are removed where the server has no TTL index; 0 never. @defaultValue 10 minutes */
  readonly pruneEveryMs?: number;
};

const notImplemented = (error: unknown): boolean =>
  error instanceof MongoServerError && (error.code === 238 || /not implemented/i.test(error.message) || /expireAfterSeconds/.test(error.message));

export const openMongoInstanceMetrics = async (options: MongoInstanceMetricsOptions): Promise<InstanceMetricsStore> => {
  const now = options.now ?? Date.now;
  const database = options.database ?? databaseFromUrl(options.url) ?? DEFAULT_DATABASE;
  const logger = options.logger.child({ component: 'mongo-instance-metrics', database });
  // Fails fast: a heartbeat must not wait the driver's 30 s default for a server that is down.
  const client = new MongoClient(options.url, { ignoreUndefined: true, serverSelectionTimeoutMS: 5000 });
  const minutes: Collection<MinuteDocument> = client.db(database).collection(METRICS_COLLECTION);
  await minutes.createIndex({ instance_id: 1, minute: 1 });
  let ttl = true;
  try {
    await minutes.createIndex({ expires_at: 1 }, { expireAfterSeconds: 0 });
  } catch (error) {
    if (!notImplemented(error)) throw error;
    ttl = false;
    await minutes.createIndex({ minute: 1 });
  }
  logger.info({ url: redactUrl(options.url), ttl_index: ttl }, 'heartbeat metrics on MongoDB');

  const prune = async () => {
    await minutes.deleteMany({ minute: { $lt: new Date(firstKeptMinute(now(), options.retentionMs)) } });
  };
  const pruneEveryMs = options.pruneEveryMs ?? 600_000;
  const pruner =
    !ttl && pruneEveryMs > 0
      ? setInterval(() => {
          prune().catch((error: unknown) => logger.warn({ err: error }, 'expired heartbeat metrics not removed'));
        }, pruneEveryMs).unref()
      : null;
  const kept = (instanceId: string, tenant: string, from: number, to: number) => ({
    instance_id: instanceId,
    tenant,
    minute: { $gte: new Date(Math.max(from, firstKeptMinute(now(), options.retentionMs))), $lt: new Date(to) },
  });

  return {
    record: async ({ tenant, instanceId, at, values }) => {
      const minute = minuteOf(at);
      const prefixed = (prefix: string, value: (n: number) => number) =>
        Object.fromEntries(Object.entries(values).map(([name, n]) => [`${prefix}.${name}`, value(n)]));
      await minutes.updateOne(
        { _id: `${instanceId}:${minute}` },
        {
          $inc: { ...prefixed('sums', (n) => n), ...prefixed('counts', () => 1) },
          $max: { ...prefixed('maxes', (n) => n), last_at: new Date(at) },
          $set: {
            tenant,
            instance_id: instanceId,
            minute: new Date(minute),
            expires_at: new Date(minute + minuteMs + options.retentionMs),
            ...prefixed('last', (n) => n),
          },
        },
        { upsert: true },
      );
    },
    minutes: async (tenant, instanceId, from, to) =>
      (
        await minutes
          .find(kept(instanceId, tenant, from, to))
          .sort({ minute: 1 })
          .toArray()
      ).map((doc): MinuteBucket => ({ minute: doc.minute.getTime(), sums: doc.sums, counts: doc.counts, maxes: doc.maxes })),
    latestOf: async (tenant, instanceId): Promise<LatestMetrics | null> => {
      const [doc] = await minutes
        .find(kept(instanceId, tenant, 0, 8.64e15))
        .sort({ minute: -1 })
        .limit(1)
        .toArray();
      if (!doc) return null;
      return {
        at: doc.last_at.toISOString(),
        values: Object.fromEntries(Object.entries(doc.last).sort(([a], [b]) => a.localeCompare(b))),
      };
    },
    prune,
    close: async () => {
      if (pruner) clearInterval(pruner);
      await client.close();
    },
  };
};
