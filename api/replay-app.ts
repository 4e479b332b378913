/**
 * The API of a replay (`bosun replay --serve`): the same routes, authentication and tenant
 * isolation as Bosun's, answered from read models rebuilt as of a cut and from the log up
 * to that cut; reads only.
 */
import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { DataKeys } from '../commands/data-keys.js';
import type { CommandHandlerDeps } from '../commands/handle-command.js';
import type { PersonalData } from '../commands/personal-data.js';
import { SecretSettings } from '../commands/secret-settings.js';
import type { EventSchemaRegistry } from '../events/event-schemas.js';
import type { EventStore } from '../events/event-store.js';
import { openEmbeddedInstanceMetrics } from '../infra/embedded-instance-metrics.js';
import { openEmbeddedKeyStore } from '../infra/embedded-key-store.js';
import { uuidv7 } from '../infra/ids.js';
import { AgentHeartbeats } from '../processes/agent-heartbeats.js';
import { DriftDetection } from '../processes/drift-detection.js';
import { TaskDispatch } from '../projections/agents/task-dispatch.js';
import { ReadSide } from '../projections/read-side.js';
import type { ReadStore } from '../projections/read-store.js';
import type { ReplayCut } from '../projections/replay.js';
import { createApp } from './app.js';
import { ApiError } from './errors.js';

/** On every answer of a replay: the cut's position and the time of its last event. */
export const REPLAY_HEADER = 'Bosun-Replay-As-Of';

export const replayHeaderValue = (cut: ReplayCut): string => `position=${cut.position}; occurred_at=${cut.occurred_at}`;

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Marks every answer as a replay's and refuses writes (405) and the agents' API (403). */
const replayGuard = (cut: ReplayCut) => async (ctx: Context, next: Next) => {
  ctx.set(REPLAY_HEADER, replayHeaderValue(cut));
  const asOf = `a replay as of position ${cut.position} (${cut.occurred_at})`;
  if (ctx.path === '/api/v1/agent' || ctx.path.startsWith('/api/v1/agent/')) {
    throw new ApiError('permission_error', 'replay_read_only', `this is ${asOf}: agents talk to the running Bosun, not to a replay`);
  }
  if (!readMethods.has(ctx.method)) {
    throw new ApiError('invalid_request_error', 'replay_read_only', `this is ${asOf}: it serves reads only, ${ctx.method} is refused`, {
      status: 405,
      headers: { Allow: 'GET, HEAD, OPTIONS' },
    });
  }
  return next();
};

export type ReplayAppDeps = {
  /** The log up to the cut (projections/replay.ts `logAsOf`), upcast. */
  readonly log: EventStore;
  readonly cut: ReplayCut;
  readonly schemas: EventSchemaRegistry;
  /** The replayed read models. */
  readonly readStore: ReadStore;
  /** The replayed lookups: teams and API keys as of the cut authenticate requests. */
  readonly lookups: ReadStore;
  readonly logger: Logger;
  readonly rateLimitPerSecond: number;
  /** Reveals personal data to its team as the live API does (erased subjects stay erased). */
  readonly personal: PersonalData;
};

export const createReplayApp = (deps: ReplayAppDeps): Koa => {
  // Writes never reach a handler: no secret is sealed or opened, so a throwaway key will do.
  const secrets = new SecretSettings(new DataKeys(openEmbeddedKeyStore(':memory:'), randomBytes(32)));
  const commands: CommandHandlerDeps = {
    store: deps.log,
    schemas: deps.schemas,
    env: { now: () => new Date(), newId: () => uuidv7() },
    secrets,
    personal: deps.personal,
  };
  // Heartbeat metrics are not in the log: a replay has none to show.
  const instanceMetrics = openEmbeddedInstanceMetrics({ file: ':memory:', retentionMs: 3_600_000, logger: deps.logger, pruneEveryMs: 0 });
  return createApp({
    commands,
    schemas: deps.schemas,
    readStore: deps.readStore,
    lookups: deps.lookups,
    // No runner: the read models are complete as of the cut, which is the log's head here.
    readSide: new ReadSide(deps.log, [], null),
    logger: deps.logger,
    rateLimit: { perSecond: deps.rateLimitPerSecond },
    readWaitMs: 0,
    providers: [],
    started: () => true,
    agents: {
      heartbeats: new AgentHeartbeats(commands, { intervalSeconds: 30, missedBeforeUnhealthy: 3 }, instanceMetrics, deps.logger),
      dispatch: new TaskDispatch(),
      drift: new DriftDetection(commands, deps.logger),
    },
    instanceMetrics,
    guard: replayGuard(deps.cut),
    // The log is read, never written: a replay records no refused request.
    refusals: { record: () => undefined },
  });
};
