/**
 * Heartbeat metrics in the data directory: one SQLite file, `metrics.sqlite`, apart from the
 * read models (it is not a projection: nothing rebuilds it, and losing it loses only
 * history). One row per instance, minute and metric; a heartbeat adds to its minute's rows.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { firstKeptMinute, minuteOf, type InstanceMetricsStore, type LatestMetrics, type MinuteBucket } from '../processes/instance-metrics.js';

const schema = `
  CREATE TABLE IF NOT EXISTS metric_minutes (
    tenant      TEXT    NOT NULL,
    instance_id TEXT    NOT NULL,
    minute      INTEGER NOT NULL,
    metric      TEXT    NOT NULL,
    sum         REAL    NOT NULL,
    count       INTEGER NOT NULL,
    max         REAL    NOT NULL,
    last        REAL    NOT NULL,
    last_at     INTEGER NOT NULL,
    PRIMARY KEY (instance_id, minute, metric)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS metric_minutes_by_minute ON metric_minutes (minute);
`;

type Row = { minute: number; metric: string; sum: number; count: number; max: number; last: number; last_at: number };

export type EmbeddedInstanceMetricsOptions = {
  /** A path, or `:memory:`. */
  readonly file: string;
  /** Minutes that ended longer ago than this are removed. */
  readonly retentionMs: number;
  readonly logger: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  /** How often expired minutes are removed; 0 never (tests call `prune`). @defaultValue 10 minutes */
  readonly pruneEveryMs?: number;
};

export const openEmbeddedInstanceMetrics = (options: EmbeddedInstanceMetricsOptions): InstanceMetricsStore => {
  const now = options.now ?? Date.now;
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const db = new Database(options.file, { timeout: 1000 });
  db.pragma('journal_mode = WAL');
  // Samples lost to a power cut are a few seconds of a chart: not worth a sync per heartbeat.
  db.pragma('synchronous = NORMAL');
  db.exec(schema);
  const upsert = db.prepare<[string, string, number, string, number, number, number, number]>(`
    INSERT INTO metric_minutes (tenant, instance_id, minute, metric, sum, count, max, last, last_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)
    ON CONFLICT (instance_id, minute, metric) DO UPDATE SET
      sum = sum + excluded.sum, count = count + 1, max = max(max, excluded.max), last = excluded.last, last_at = max(last_at, excluded.last_at)`);
  const record = db.transaction((tenant: string, instanceId: string, at: number, values: Readonly<Record<string, number>>) => {
    for (const [metric, value] of Object.entries(values)) upsert.run(tenant, instanceId, minuteOf(at), metric, value, value, value, at);
  });
  const selectMinutes = db.prepare<[string, string, number, number], Row>(
    'SELECT minute, metric, sum, count, max, last, last_at FROM metric_minutes WHERE instance_id = ? AND tenant = ? AND minute >= ? AND minute < ? ORDER BY minute',
  );
  const selectNewest = db.prepare<[string, string, string, string], Row>(`
    SELECT minute, metric, sum, count, max, last, last_at FROM metric_minutes
    WHERE instance_id = ? AND tenant = ? AND minute = (SELECT max(minute) FROM metric_minutes WHERE instance_id = ? AND tenant = ?)`);
  const remove = db.prepare<[number]>('DELETE FROM metric_minutes WHERE minute < ?');
  const prune = () => {
    remove.run(firstKeptMinute(now(), options.retentionMs));
  };
  const pruneEveryMs = options.pruneEveryMs ?? 600_000;
  const pruner =
    pruneEveryMs > 0
      ? setInterval(() => {
          try {
            prune();
          } catch (error) {
            options.logger.warn({ err: error }, 'expired heartbeat metrics not removed');
          }
        }, pruneEveryMs).unref()
      : null;

  return {
    record: async ({ tenant, instanceId, at, values }) => {
      record(tenant, instanceId, at, values);
    },
    minutes: async (tenant, instanceId, from, to) => {
      const buckets = new Map<number, { minute: number; sums: Record<string, number>; counts: Record<string, number>; maxes: Record<string, number> }>();
      for (const row of selectMinutes.all(instanceId, tenant, Math.max(from, firstKeptMinute(now(), options.retentionMs)), to)) {
        let bucket = buckets.get(row.minute);
        if (!bucket) buckets.set(row.minute, (bucket = { minute: row.minute, sums: {}, counts: {}, maxes: {} }));
        bucket.sums[row.metric] = row.sum;
        bucket.counts[row.metric] = row.count;
        bucket.maxes[row.metric] = row.max;
      }
      return [...buckets.values()] satisfies MinuteBucket[];
    },
    latestOf: async (tenant, instanceId): Promise<LatestMetrics | null> => {
      const rows = selectNewest.all(instanceId, tenant, instanceId, tenant);
      if (rows.length === 0 || (rows[0] as Row).minute < firstKeptMinute(now(), options.retentionMs)) return null;
      return {
        at: new Date(Math.max(...rows.map((row) => row.last_at))).toISOString(),
        values: Object.fromEntries(rows.map((row) => [row.metric, row.last]).sort(([a], [b]) => String(a).localeCompare(String(b)))),
      };
    },
    prune: async () => prune(),
    close: async () => {
      if (pruner) clearInterval(pruner);
      db.close();
    },
  };
};
