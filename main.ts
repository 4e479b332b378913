/**
 * The composition root: the one place that reads configuration and wires adapters
 * to ports.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import type { CommandEnvironment } from './commands/command-context.js';
import { loadEventSchemas } from './commands/event-schemas.js';
import type { EventStore } from './commands/event-store.js';
import type { CommandHandlerDeps } from './commands/handle-command.js';
import { withUpcasting } from './commands/upcasting-event-store.js';
import { taskUpcasters } from './domain/task/upcasters.js';
import { createTeam } from './commands/teams.js';
import { accessProjector, teamCollection } from './projections/access/access-projector.js';
import { idempotencyProjector } from './projections/idempotency/idempotency-projector.js';
import { ProjectionRunner } from './projections/projection-runner.js';
import type { ReadStore } from './projections/read-store.js';
import { taskProjector } from './projections/tasks/task-projector.js';
import { instanceProjector } from './projections/instances/instance-projector.js';
import type { Config } from './infra/config.js';
import { openEmbeddedEventStore } from './infra/embedded-event-store.js';
import { uuidv7 } from './infra/ids.js';
import { createLogger } from './infra/logger.js';
import { MemoryReadStore } from './infra/memory-read-store.js';

export type Bosun = {
  readonly url: string;
  readonly logger: Logger;
  readonly events: EventStore;
  readonly readStore: ReadStore;
  readonly projections: ProjectionRunner;
  /** Resolves once read models caught up and the system team exists. */
  readonly ready: Promise<void>;
  readonly close: () => Promise<void>;
};

const openEventStore = async (config: Config, logger: Logger): Promise<EventStore> => {
  if (config.eventStoreUrl) {
    logger.info({ adapter: 'kurrentdb' }, 'event store');
    // Loaded only when configured: the gRPC client is heavy and the embedded default needs none of it.
    const { openKurrentDbEventStore } = await import('./infra/kurrentdb-event-store.js');
    return openKurrentDbEventStore({ connectionString: config.eventStoreUrl, logger });
  }
  mkdirSync(config.dataDir, { recursive: true });
  logger.info({ adapter: 'embedded', directory: config.dataDir }, 'event store');
  return openEmbeddedEventStore({ directory: config.dataDir, logger });
};

/** On first start the system team is created with BOSUN_ADMIN_KEY or a fresh key, shown once. */
const bootstrapSystemTeam = async (deps: CommandHandlerDeps, config: Config, readStore: ReadStore, runner: ProjectionRunner, logger: Logger) => {
  const [anyTeam] = await teamCollection(readStore).list({}, { limit: 1 });
  if (anyTeam) return;
  const created = await createTeam(
    deps,
    {
      tenant: 'system',
      actor: { type: 'system', id: 'bootstrap' },
      requestId: null,
      correlationId: 'bootstrap',
      causationId: null,
      clientIp: null,
      userAgent: null,
    },
    { name: 'default', system: true, ...(config.adminKey ? { adminKey: config.adminKey } : {}) },
  );
  await runner.waitFor(created.position, 60_000);
  if (config.adminKey) logger.info({ team_id: created.teamId }, 'system team created with BOSUN_ADMIN_KEY as its admin key');
  else logger.warn({ team_id: created.teamId, admin_key: created.issued.key }, 'system team created; its admin key is shown only this once');
};

export const startBosun = async (config: Config): Promise<Bosun> => {
  const logger = createLogger(config.logLevel);
  const schemas = loadEventSchemas();
  const events = withUpcasting(await openEventStore(config, logger), schemas, [taskUpcasters]);
  const readStore: ReadStore = new MemoryReadStore();
  const projections = new ProjectionRunner(events, readStore, [accessProjector, idempotencyProjector, taskProjector, instanceProjector], logger);
  const env: CommandEnvironment = { now: () => new Date(), newId: () => uuidv7() };
  const commands: CommandHandlerDeps = { store: events, schemas, env };
  const app = createApp({
    commands,
    schemas,
    readStore,
    projections,
    logger,
    rateLimit: { perSecond: config.rateLimitPerSecond },
    readWaitMs: config.readWaitMs,
    providers: ['local'],
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
    listening.once('error', reject);
  });
  // Keep-alive longer than common proxies' idle timeout so they close first.
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  logger.info({ url }, 'listening');

  const ready = projections.start().then(async () => {
    await bootstrapSystemTeam(commands, config, readStore, projections, logger);
    logger.info({ url, position: projections.status().position }, 'ready');
  });
  ready.catch((error: unknown) => logger.error({ err: error }, 'failed to become ready'));

  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      // Requests in flight get to finish (and their appends to be acknowledged); idle keep-alive
      // connections close now, and stragglers are cut after a grace period.
      await new Promise<void>((resolve) => {
        const grace = setTimeout(() => server.closeAllConnections(), 5000);
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        server.closeIdleConnections();
      });
      await projections.stop();
      await readStore.close();
      await events.close();
    })());
  return { url, logger, events, readStore, projections, ready, close };
};
