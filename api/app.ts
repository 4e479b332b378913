import Router from '@koa/router';
import Koa, { type Context, type Middleware, type Next } from 'koa';
import type { Logger } from 'pino';
import type { CommandHandlerDeps } from '../commands/handle-command.js';
import type { EventSchemaRegistry } from '../events/event-schemas.js';
import { watchReadSide, type Metrics } from '../infra/metrics.js';
import type { AccessRefusals } from '../processes/access-refusals.js';
import type { AgentHeartbeats } from '../processes/agent-heartbeats.js';
import type { DriftDetection } from '../processes/drift-detection.js';
import type { InstanceMetricsStore } from '../processes/instance-metrics.js';
import type { TaskDispatch } from '../projections/agents/task-dispatch.js';
import type { ReadSide } from '../projections/read-side.js';
import type { ReadStore } from '../projections/read-store.js';
import { asyncApiDocument } from './asyncapi.js';
import { authenticate } from './auth.js';
import { entityTags } from './conditional.js';
import { minPosition } from './consistency.js';
import { errorHandler } from './errors.js';
import { httpMetrics } from './http-metrics.js';
import { idempotency } from './idempotency.js';
import { jsonBody } from './json-body.js';
import { openApiDocument } from './openapi.js';
import { ownedResource } from './ownership.js';
import { allow } from './permissions.js';
import { revealPersonalData } from './personal-data.js';
import { rateLimit, type RateLimitOptions } from './rate-limit.js';
import { auditRefusals } from './refusal-audit.js';
import { requestId } from './request-context.js';
import { accessRoutes } from './routes/access.js';
import { agentRoutes } from './routes/agent.js';
import { alertRoutes } from './routes/alerts.js';
import { auditLogRoutes } from './routes/audit-logs.js';
import { driftRoutes } from './routes/drift.js';
import { eventRoutes } from './routes/events.js';
import { historyRoutes } from './routes/history.js';
import { instanceRoutes } from './routes/instances.js';
import { privacyRoutes } from './routes/privacy.js';
import { projectionMaintenanceRoutes } from './routes/projection-maintenance.js';
import { systemApiRoutes, systemRoutes, type DependencyCheck } from './routes/system.js';
import { taskReadRoutes } from './routes/task-reads.js';
import { taskRoutes } from './routes/tasks.js';
import { teamPolicyRoutes } from './routes/team-policy.js';
import type { BosunState } from './state.js';
import { timeTravel } from './time-travel.js';

export type AppDeps = {
  readonly commands: CommandHandlerDeps;
  readonly schemas: EventSchemaRegistry;
  /** The read models clients read. */
  readonly readStore: ReadStore;
  /** What authentication, idempotency and the agent runtime look up on every request (see main.ts). */
  readonly lookups: ReadStore;
  readonly readSide: ReadSide;
  readonly logger: Logger;
  readonly rateLimit: RateLimitOptions;
  /** How long a read with X-Min-Position may wait for the read models. */
  readonly readWaitMs: number;
  /** Providers instances may be deployed with. */
  readonly providers: readonly string[];
  /** True once start-up finished: see startBosun's `ready`. */
  readonly started: () => boolean;
  /** What the agent runtime API shares with the rest of Bosun. */
  readonly agents: { readonly heartbeats: AgentHeartbeats; readonly dispatch: TaskDispatch; readonly drift: DriftDetection };
  /** Heartbeat metrics, for an instance's latest values and time series. */
  readonly instanceMetrics: InstanceMetricsStore;
  /** What /ready asks besides start-up and the read side, each bounded by a timeout. @defaultValue none */
  readonly dependencies?: readonly DependencyCheck[];
  /** Served at /metrics, with HTTP timings and the read side's gauges; absent when metrics are off. */
  readonly metrics?: Metrics | null;
  /** Where refused requests are counted for the audit log. */
  /** Counts refused requests for the audit log. */
  readonly refusals: Pick<AccessRefusals, 'record'>;
  /** @defaultValue 2000 ms for each check of /ready */
  readonly readyCheckTimeoutMs?: number;
  /** Runs before every route, inside error handling: what a replay refuses (api/replay-app.ts). */
  readonly guard?: Middleware;
};

const maxBodyBytes = 1024 * 1024;

const accessLog = (logger: Logger) => async (ctx: Context, next: Next) => {
  // Checked per request, as the level may change at run time; no clock reading when nothing is logged.
  if (!logger.isLevelEnabled('info')) return next();
  const started = process.hrtime.bigint();
  try {
    await next();
  } finally {
    logger.info(
      { request_id: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Number(process.hrtime.bigint() - started) / 1e6 },
      'request',
    );
  }
};

export const createApp = (deps: AppDeps): Koa => {
  const app = new Koa();
  // Errors are answered by errorHandler; Koa's default handler would only log twice.
  app.silent = true;

  const metrics = deps.metrics ?? null;
  if (metrics) watchReadSide(metrics, deps.readSide);
  const system = systemRoutes({
    readSide: deps.readSide,
    started: deps.started,
    dependencies: deps.dependencies ?? [],
    metrics,
    logger: deps.logger,
    ...(deps.readyCheckTimeoutMs !== undefined ? { checkTimeoutMs: deps.readyCheckTimeoutMs } : {}),
  });

  const api = new Router<BosunState>({ prefix: '/api/v1' });
  api.param('id', ownedResource({ events: deps.commands.store, readStore: deps.readStore }));
  api.param('id', timeTravel({ events: deps.commands.store, readStore: deps.readStore, now: deps.commands.env.now }));
  api.get('/openapi.json', allow('GET /api/v1/openapi.json'), (ctx) => {
    ctx.body = openApiDocument();
  });
  api.get('/asyncapi.json', allow('GET /api/v1/asyncapi.json'), (ctx) => {
    ctx.body = asyncApiDocument(deps.schemas);
  });
  api.use(auditRefusals(deps.refusals), authenticate(deps.lookups), rateLimit(deps.rateLimit), jsonBody(maxBodyBytes), entityTags());
  api.get('/event-schemas', allow('GET /api/v1/event-schemas'), (ctx) => {
    ctx.body = { data: deps.schemas.schemas() };
  });
  const routeDeps = {
    commands: deps.commands,
    readStore: deps.readStore,
    idempotent: idempotency(deps.lookups, deps.commands.env.now),
    consistent: minPosition(deps.readSide, deps.readWaitMs),
  };
  taskRoutes(api, routeDeps);
  taskReadRoutes(api, routeDeps);
  accessRoutes(api, { ...routeDeps, readStore: deps.lookups });
  instanceRoutes(api, { ...routeDeps, providers: deps.providers, metrics: deps.instanceMetrics });
  driftRoutes(api, routeDeps);
  teamPolicyRoutes(api, routeDeps);
  alertRoutes(api, routeDeps);
  privacyRoutes(api, routeDeps);
  historyRoutes(api, { events: deps.commands.store, readStore: deps.readStore, schemas: deps.schemas });
  eventRoutes(api, { events: deps.commands.store, schemas: deps.schemas, logger: deps.logger, personal: deps.commands.personal });
  auditLogRoutes(api, {
    readStore: deps.readStore,
    lookups: deps.lookups,
    consistent: routeDeps.consistent,
    logger: deps.logger,
    personal: deps.commands.personal,
  });
  systemApiRoutes(api, { readSide: deps.readSide });
  projectionMaintenanceRoutes(api, { readSide: deps.readSide, logger: deps.logger });

  app.use(requestId());
  app.use(accessLog(deps.logger));
  if (metrics) app.use(httpMetrics(metrics));
  app.use(errorHandler(deps.logger));
  if (deps.guard) app.use(deps.guard);
  app.use(revealPersonalData(deps.commands.personal));
  app.use(system.routes());
  // Agents authenticate with instance credentials, not API keys: their router comes first.
  const agent = agentRoutes({ commands: deps.commands, readStore: deps.lookups, idempotent: routeDeps.idempotent, ...deps.agents });
  app.use(agent.routes());
  app.use(agent.allowedMethods({ throw: false }));
  app.use(api.routes());
  app.use(api.allowedMethods({ throw: false }));
  return app;
};
