import Router from '@koa/router';
import type { Logger } from 'pino';
import { buildInfo } from '../../infra/build-info.js';
import type { Metrics } from '../../infra/metrics.js';
import type { ProjectionReport, ReadSide, ReadSideReport } from '../../projections/read-side.js';
import type { RelayStatus } from '../../projections/relay.js';
import { allow } from '../permissions.js';
import type { BosunState } from '../state.js';

export type CheckResult = { readonly ok: boolean; readonly reason?: string };

/** Something Bosun needs to serve (the event store, Temporal, Kafka, MongoDB): /ready asks each. */
export type DependencyCheck = { readonly name: string; readonly check: () => Promise<CheckResult> };

export type SystemRoutesDeps = {
  readonly readSide: ReadSide;
  /** True once start-up finished: see startBosun's `ready`. */
  readonly started: () => boolean;
  readonly dependencies: readonly DependencyCheck[];
  /** Null when metrics are off (`BOSUN_METRICS=off`): no /metrics route. */
  readonly metrics: Metrics | null;
  readonly logger: Logger;
  /** @defaultValue 2000: each check of /ready gets this long, so /ready never hangs on a dependency. */
  readonly checkTimeoutMs?: number;
};

/**
 * A read model whose oldest unapplied event is older than this makes Bosun not ready even
 * with no error reported: a consumer that silently stopped moving shows up here.
 */
export const maxReadyLagMs = 30_000;

const bounded = async (check: () => Promise<CheckResult>, timeoutMs: number): Promise<CheckResult> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([
      check().then(
        (result) => (result.ok ? { ok: true } : { ok: false, reason: result.reason ?? 'not ok' }),
        (error: unknown) => ({ ok: false, reason: error instanceof Error ? error.message : String(error) }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
};

const described = (p: ProjectionReport) => `projection ${p.name} (${p.runner})`;

/** What keeps the read side from serving current read models, if anything. */
export const readSideCheck = (report: ReadSideReport): CheckResult => {
  const reasons = [...report.errors.map((error) => `runner ${error}`)];
  for (const p of report.projections) {
    if (p.failure)
      reasons.push(`${described(p)} stopped at event ${p.failure.event_id} (${p.failure.event_type}, position ${p.failure.position}): ${p.failure.error}`);
    else if (p.state === 'catching_up') reasons.push(`${described(p)} is catching up, ${p.lag_events} events behind`);
    else if (p.lag_ms >= maxReadyLagMs) reasons.push(`${described(p)} is ${p.lag_events} events (${Math.round(p.lag_ms / 1000)} s) behind`);
  }
  if (report.relay?.error) reasons.push(`relay: ${report.relay.error}`);
  if (!report.caught_up && reasons.length === 0) reasons.push('the read models have not caught up with the log yet');
  return reasons.length === 0 ? { ok: true } : { ok: false, reason: reasons.join('; ') };
};

/**
 * /health, /ready and /metrics: outside /api/v1 and without API keys, as probes and scrapers
 * call them. /metrics tells nothing a tenant owns (no ids, only route templates and counts)
 * and is scraped by infrastructure on a private network; set BOSUN_METRICS=off where the
 * port is exposed to the public.
 */
export const systemRoutes = (deps: SystemRoutesDeps): Router => {
  const router = new Router<BosunState>();
  const timeoutMs = deps.checkTimeoutMs ?? 2000;
  const logger = deps.logger.child({ component: 'readiness' });

  // Alive while it answers: nothing else is checked, so a dependency's outage never gets the process restarted.
  router.get('/health', allow('GET /health'), (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/version', allow('GET /version'), (ctx) => {
    ctx.body = { object: 'version', ...buildInfo() };
  });

  let wasReady: boolean | null = null;
  // Ready means start-up finished (read models caught up, the system team exists, the fleet's
  // workflows run when configured), the read side is current, and every dependency answers.
  router.get('/ready', allow('GET /ready'), async (ctx) => {
    const [readSide, ...dependencies] = await Promise.all([
      bounded(async () => readSideCheck(await deps.readSide.report()), timeoutMs),
      ...deps.dependencies.map((dependency) => bounded(dependency.check, timeoutMs)),
    ]);
    const checks: Record<string, CheckResult> = {
      startup: deps.started() ? { ok: true } : { ok: false, reason: 'start-up has not finished' },
      read_side: readSide as CheckResult,
    };
    for (const [index, dependency] of deps.dependencies.entries()) checks[dependency.name] = dependencies[index] as CheckResult;
    const ready = Object.values(checks).every((check) => check.ok);
    // Probes come every few seconds: only changes are logged.
    if (ready !== wasReady) {
      if (ready) logger.info('ready');
      else logger.warn({ checks: Object.fromEntries(Object.entries(checks).filter(([, check]) => !check.ok)) }, 'not ready');
      wasReady = ready;
    }
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', checks };
  });

  const { metrics } = deps;
  if (metrics) {
    router.get('/metrics', allow('GET /metrics'), async (ctx) => {
      ctx.type = metrics.registry.contentType;
      ctx.body = await metrics.registry.metrics();
    });
  }
  return router;
};

const presentProjection = (p: ProjectionReport) => ({
  object: 'projection' as const,
  name: p.name,
  runner: p.runner,
  bus: p.bus,
  state: p.state,
  checkpoint_position: p.checkpoint_position,
  log_head: p.log_head,
  lag_events: p.lag_events,
  lag_ms: p.lag_ms,
  failure: p.failure,
});

const presentRelay = (relay: RelayStatus) => ({
  object: 'relay' as const,
  state: relay.state,
  published_position: relay.published,
  log_head: relay.head,
  lag_events: relay.lag_events,
  error: relay.error,
});

/** The read side as operators see it, under /api/v1: it spans every team, so admins only. */
export const systemApiRoutes = (router: Router<BosunState>, deps: { readonly readSide: ReadSide }): void => {
  router.get('/system/projections', allow('GET /api/v1/system/projections'), async (ctx) => {
    const report = await deps.readSide.report();
    ctx.body = {
      data: report.projections.map(presentProjection),
      caught_up: report.caught_up,
      errors: report.errors,
      relay: report.relay ? presentRelay(report.relay) : null,
    };
  });
};
