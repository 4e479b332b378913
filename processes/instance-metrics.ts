/**
 * The numbers agents report with each heartbeat (CPU, memory, disk, tasks running, and any
 * other numeric metric), kept for a retention window in per-minute buckets. Heartbeats are
 * samples, not facts: they never reach the event log (one every few seconds per instance
 * would flood it), so this port has stores of its own. Adapters live in infra/ and pass
 * test/processes/instance-metrics.contract.ts.
 */

/** One heartbeat's numbers. */
export type MetricSample = {
  readonly tenant: string;
  readonly instanceId: string;
  /** Epoch milliseconds the heartbeat arrived. */
  readonly at: number;
  readonly values: Readonly<Record<string, number>>;
};

/** One minute of one instance's samples: per metric, their sum, count and maximum. */
export type MinuteBucket = {
  /** Epoch milliseconds the minute starts. */
  readonly minute: number;
  readonly sums: Readonly<Record<string, number>>;
  readonly counts: Readonly<Record<string, number>>;
  readonly maxes: Readonly<Record<string, number>>;
};

/** The newest values an instance reported: each metric's last value in its newest minute. */
export type LatestMetrics = {
  /** RFC 3339: the last heartbeat that carried numbers. */
  readonly at: string;
  readonly values: Readonly<Record<string, number>>;
};

export interface InstanceMetricsStore {
  /** Adds the sample to its instance's minute. */
  record(sample: MetricSample): Promise<void>;
  /** The instance's minutes starting in [from, to), oldest first. */
  minutes(tenant: string, instanceId: string, from: number, to: number): Promise<MinuteBucket[]>;
  /** The instance's newest values, or null when none were kept (never reported, or older than the retention window). */
  latestOf(tenant: string, instanceId: string): Promise<LatestMetrics | null>;
  /** Removes the minutes that ended before the retention window; adapters also do it on their own. */
  prune(): Promise<void>;
  close(): Promise<void>;
}

export const minuteMs = 60_000;

export const minuteOf = (at: number): number => Math.floor(at / minuteMs) * minuteMs;

/**
 * The oldest minute kept: the one `retentionMs` ago is kept while any of it is inside the
 * window. Reads stop there too, so what an adapter has not removed yet is never shown.
 */
export const firstKeptMinute = (now: number, retentionMs: number): number => minuteOf(now - retentionMs - minuteMs) + minuteMs;

/** When the instance last reported numbers (RFC 3339), or null: for rules and views that only need liveness. */
export const lastHeartbeatAt = async (store: Pick<InstanceMetricsStore, 'latestOf'>, tenant: string, instanceId: string): Promise<string | null> =>
  (await store.latestOf(tenant, instanceId))?.at ?? null;

/**
 * When each of the instances last reported numbers (those that did, within the retention
 * window): one `latestOf` each, 16 at a time, so a list sorted by it costs one indexed read
 * per instance.
 */
export const lastHeartbeats = async (
  store: Pick<InstanceMetricsStore, 'latestOf'>,
  tenant: string,
  instanceIds: readonly string[],
): Promise<Map<string, string>> => {
  const found = new Map<string, string>();
  for (let i = 0; i < instanceIds.length; i += 16) {
    await Promise.all(
      instanceIds.slice(i, i + 16).map(async (id) => {
        const at = await lastHeartbeatAt(store, tenant, id);
        if (at !== null) found.set(id, at);
      }),
    );
  }
  return found;
};

/**
 * Metric names become keys of stored documents (MongoDB paths) and of the API's answers: a
 * name is letters, digits and `_`, so it needs no escaping anywhere.
 */
export const metricNamePattern = '^[A-Za-z][A-Za-z0-9_]{0,63}$';
/** Metrics one heartbeat may carry: bounds what one instance adds per minute. */
export const maxMetricsPerHeartbeat = 64;

export const metricRanges = { '1h': 3_600_000, '6h': 21_600_000, '24h': 86_400_000, '7d': 604_800_000 } as const;
export type MetricRange = keyof typeof metricRanges;
export const metricSteps = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '6h': 21_600_000, '1d': 86_400_000 } as const;
export type MetricStep = keyof typeof metricSteps;

/** About 60 to 170 points whatever the range: enough for a chart, little to send. */
export const defaultSteps: Record<MetricRange, MetricStep> = { '1h': '1m', '6h': '5m', '24h': '15m', '7d': '1h' };
/** One point a minute over a day. */
export const maxPoints = 1440;

export type SeriesPoint = {
  /** RFC 3339: where the step starts. */
  readonly at: string;
  /** Per metric reported in the step: the mean and the highest of its samples, and how many there were. */
  readonly values: Readonly<Record<string, { readonly avg: number; readonly max: number; readonly samples: number }>>;
};

export type MetricSeries = {
  readonly range: MetricRange;
  readonly step: MetricStep;
  readonly from: string;
  readonly to: string;
  readonly points: readonly SeriesPoint[];
};

/**
 * The instance's minutes over `range` until `now`, folded into steps aligned to the epoch
 * (so two reads a little apart draw the same points); steps without samples are left out.
 */
export const seriesOf = async (
  store: Pick<InstanceMetricsStore, 'minutes'>,
  tenant: string,
  instanceId: string,
  range: MetricRange,
  step: MetricStep,
  now: number,
): Promise<MetricSeries> => {
  const stepMs = metricSteps[step];
  const to = minuteOf(now) + minuteMs;
  const from = Math.floor((to - metricRanges[range]) / stepMs) * stepMs;
  const steps = new Map<number, { sums: Record<string, number>; counts: Record<string, number>; maxes: Record<string, number> }>();
  for (const bucket of await store.minutes(tenant, instanceId, from, to)) {
    const start = Math.floor(bucket.minute / stepMs) * stepMs;
    let into = steps.get(start);
    if (!into) steps.set(start, (into = { sums: {}, counts: {}, maxes: {} }));
    for (const [name, sum] of Object.entries(bucket.sums)) {
      into.sums[name] = (into.sums[name] ?? 0) + sum;
      into.counts[name] = (into.counts[name] ?? 0) + (bucket.counts[name] ?? 0);
      into.maxes[name] = Math.max(into.maxes[name] ?? -Infinity, bucket.maxes[name] ?? -Infinity);
    }
  }
  const points = [...steps.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, { sums, counts, maxes }]) => ({
      at: new Date(start).toISOString(),
      values: Object.fromEntries(
        Object.keys(sums)
          .sort()
          .map((name) => [name, { avg: (sums[name] as number) / (counts[name] as number), max: maxes[name] as number, samples: counts[name] as number }]),
      ),
    }));
  return { range, step, from: new Date(from).toISOString(), to: new Date(to).toISOString(), points };
};
