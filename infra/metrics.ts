import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ReadSide, ReadSideReport } from '../projections/read-side.js';

/** Bosun's Prometheus metrics, on a registry of its own so that each app (and each test) has its own. */
export type Metrics = {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** `outcome`: `ok`, `conflict` (wrong expected revision) or `error`. */
  readonly appendDuration: Histogram<'outcome'>;
};

export const createMetrics = (): Metrics => {
  const registry = new Registry();
  // Standard names, no prefix: the usual Node.js dashboards work as they are.
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequestDuration: new Histogram({
      name: 'bosun_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status, until the handler answered.',
      labelNames: ['method', 'route', 'status'] as const,
      // The defaults, plus long polls (`wait_seconds` up to 60).
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    appendDuration: new Histogram({
      name: 'bosun_event_store_append_duration_seconds',
      help: 'Event-store appends until durable, by outcome.',
      labelNames: ['outcome'] as const,
      // Appends to the embedded store take a fraction of a millisecond to a few; a remote store more.
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
};

/** How long a scrape waits for the read side's report before giving up on its gauges. */
const reportTimeoutMs = 2000;

const withinTimeout = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
};

/**
 * Gauges of the read side, computed at scrape time from `readSide.report()`. The report
 * reads the log's head, so one report is shared by every gauge of one scrape (the
 * registry collects them concurrently) instead of one each. When the report fails (the
 * event store does not answer), the per-projection series are left out and the others
 * read NaN, rather than failing the whole scrape: the process metrics matter most then,
 * and /ready names the cause.
 */
export const watchReadSide = (metrics: Metrics, readSide: ReadSide): void => {
  const registers = [metrics.registry];
  // A second app on the same registry would register the same names: prom-client throws.
  if (metrics.registry.getSingleMetric('bosun_log_head_position')) throw new Error('the read side is already watched on this registry');
  let pending: Promise<ReadSideReport | null> | null = null;
  const report = (): Promise<ReadSideReport | null> =>
    (pending ??= withinTimeout(readSide.report(), reportTimeoutMs)
      .catch(() => null)
      .finally(() => {
        pending = null;
      }));

  const perProjection = (name: string, help: string, value: (projection: ReadSideReport['projections'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['projection', 'runner'] as const,
      registers,
      async collect() {
        const projections = (await report())?.projections ?? [];
        // Reset first, so a projection no longer reported leaves no stale series.
        this.reset();
        for (const projection of projections) this.set({ projection: projection.name, runner: projection.runner }, value(projection));
      },
    });
  const visibleLag = new Histogram({
    name: 'bosun_projection_visible_lag_seconds',
    help: 'From an event being written (its occurred_at) to the read models a runner builds showing it, for events applied live.',
    labelNames: ['runner'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  readSide.onLiveBatch((runner, events) => {
    const now = Date.now();
    const observe = visibleLag.labels({ runner });
    for (const event of events) observe.observe(Math.max(0, now - Date.parse(event.metadata.occurred_at)) / 1000);
  });

  perProjection('bosun_projection_lag_events', 'Events of the log a projection has not applied yet.', (p) => p.lag_events);
  perProjection(
    'bosun_projection_lag_seconds',
    'How long ago the oldest event a projection has not applied was written; 0 when caught up.',
    (p) => p.lag_ms / 1000,
  );
  perProjection('bosun_projection_checkpoint_position', 'Log position of a projection checkpoint.', (p) => p.checkpoint_position);
  perProjection('bosun_projection_up', '1 when a projection is live, 0 while it catches up or once it stopped on an event.', (p) =>
    p.state === 'live' ? 1 : 0,
  );

  // Only with a relay (Kafka): on the embedded bus there is nothing to publish, and a 0 would mislead.
  if (readSide.relay) {
    const relayGauge = (name: string, help: string, value: (relay: NonNullable<ReadSideReport['relay']>) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const relay = (await report())?.relay;
          this.set(relay ? value(relay) : Number.NaN);
        },
      });
    relayGauge('bosun_relay_lag_events', 'Events of the log the relay has not published to the bus yet.', (relay) => relay.lag_events);
    relayGauge('bosun_relay_published_position', 'Every event at or below this log position is on the bus.', (relay) => relay.published);
  }

  new Gauge({
    name: 'bosun_log_head_position',
    help: 'Position of the last event in the log.',
    registers,
    async collect() {
      const read = await report();
      this.set(read ? (read.projections[0]?.log_head ?? read.relay?.head ?? 0) : Number.NaN);
    },
  });
};
