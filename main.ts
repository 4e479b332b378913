/**
 * The composition root: the one place that reads configuration and wires adapters
 * to ports.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createApp } from './api/app.js';
import { clientErrorHandler } from './api/errors.js';
import { registeredRoutes, type RegisteredRoute } from './api/permissions.js';
import type { DependencyCheck } from './api/routes/system.js';
import { internalContext, type CommandEnvironment } from './commands/command-context.js';
import type { CommandHandlerDeps } from './commands/handle-command.js';
import { createTeam, systemTeamOf } from './commands/teams.js';
import { enqueueDelivery } from './commands/webhooks.js';
import { loadEventSchemas, type EventSchemaRegistry } from './events/event-schemas.js';
import type { EventStore, RecordedEvent } from './events/event-store.js';
import type { Config } from './infra/config.js';
import { createEmbeddedBus } from './infra/embedded-bus.js';
import { openEmbeddedInstanceMetrics } from './infra/embedded-instance-metrics.js';
import { openEmbeddedReadStore } from './infra/embedded-read-store.js';
import { instrumentEventStore } from './infra/event-store-metrics.js';
import { createFleetReadings } from './infra/fleet-readings.js';
import { uuidv7 } from './infra/ids.js';
import { createLogger } from './infra/logger.js';
import { createMetrics } from './infra/metrics.js';
import { openEventStore, readableEvents } from './infra/open-event-store.js';
import { createLocalProvider } from './infra/providers/local-provider.js';
import { openDataKeys } from './infra/secret-keys.js';
import { connectWorkflowEngine } from './infra/temporal/engine.js';
import { webhookNotificationChannel } from './infra/webhook-notification-channel.js';
import { AccessRefusals } from './processes/access-refusals.js';
import { AgentHeartbeats } from './processes/agent-heartbeats.js';
import { AlertRuleEvaluator } from './processes/alert-rules/evaluator.js';
import { ApiKeyUsage } from './processes/api-key-usage.js';
import { AuditSealer } from './processes/audit-sealer.js';
import { DriftDetection } from './processes/drift-detection.js';
import type { InstanceMetricsStore } from './processes/instance-metrics.js';
import { AlertNotifier } from './processes/notifications/alert-notifier.js';
import { WebhookDispatcher } from './processes/webhook-dispatcher.js';
import { teamCollection } from './projections/access/access-projector.js';
import { TaskDispatch } from './projections/agents/task-dispatch.js';
import type { EventBus } from './projections/event-bus.js';
import { instanceCollection } from './projections/instances/instance-projector.js';
import { ProjectionRunner } from './projections/projection-runner.js';
import { lookupProjectors, readModelProjectors } from './projections/read-models.js';
import { ReadSide } from './projections/read-side.js';
import type { ReadStore } from './projections/read-store.js';
import { Relay } from './projections/relay.js';
import { createDeliveryActivities } from './workflows/delivery-activities.js';
import { createDriftActivities } from './workflows/drift-activities.js';
import { createInstanceActivities } from './workflows/instance-activities.js';
import type { InstanceProvider } from './workflows/instance-provider.js';
import { PlacementWaker } from './workflows/placement-waker.js';
import { WorkflowReactor } from './workflows/reactor.js';
import { createTaskActivities } from './workflows/task-activities.js';
import { startWorker } from './workflows/worker.js';

export type Bosun = {
  readonly url: string;
  readonly logger: Logger;
  readonly events: EventStore;
  /** What commands are handled with: the event store, the schemas, the clock and the sealing of secrets. */
  readonly commands: CommandHandlerDeps;
  /** The read models clients read. */
  readonly readStore: ReadStore;
  /** What the command side looks up on every request. */
  readonly lookups: ReadStore;
  readonly readSide: ReadSide;
  /** Resolves once read models caught up and the system team exists. */
  readonly ready: Promise<void>;
  /** Every route the API serves, with the permission each declares. */
  readonly routes: readonly RegisteredRoute[];
  /** Refused requests counted for the audit log; `flush` records them before the window ends. */
  readonly refusals: Pick<AccessRefusals, 'flush'>;
  /** Requests counted per API key; `flush` adds them to the read model before the interval ends. */
  readonly keyUsage: Pick<ApiKeyUsage, 'flush'>;
  readonly close: () => Promise<void>;
};

type ReadSideParts = {
  readonly lookups: ReadStore;
  readonly readStore: ReadStore;
  readonly lookupRunner: ProjectionRunner;
  readonly readSide: ReadSide;
  /** What /ready asks of the read side's engines: Kafka and MongoDB when configured. */
  readonly checks: readonly DependencyCheck[];
  readonly start: () => Promise<void>;
  readonly stop: () => Promise<void>;
};

/**
 * Wires the read side from configuration. On embedded defaults alone, one runner builds
 * every read model into one store from the log. With Kafka, a relay publishes the log and
 * the read models are built from the topics; with MongoDB, they are stored there; the
 * lookups stay in process either way.
 */
const openReadSide = async (config: Config, events: EventStore, logger: Logger): Promise<ReadSideParts> => {
  mkdirSync(config.dataDir, { recursive: true });
  const lookups = await openEmbeddedReadStore({ file: join(config.dataDir, 'read-models.sqlite'), logger });
  const log = createEmbeddedBus(events);
  if (!config.kafkaBrokers && !config.mongodbUrl) {
    const names = new Set(lookupProjectors.map((p) => p.name));
    const runner = new ProjectionRunner({
      group: 'read-models',
      bus: log,
      store: lookups,
      projectors: [...lookupProjectors, ...readModelProjectors.filter((p) => !names.has(p.name))],
      events,
      logger,
    });
    return {
      lookups,
      readStore: lookups,
      lookupRunner: runner,
      readSide: new ReadSide(events, [{ name: 'read_models', bus: log.name, runner }], null),
      checks: [],
      start: () => runner.start(),
      stop: async () => {
        await runner.stop();
        await lookups.close();
      },
    };
  }
  let readStore: ReadStore = lookups;
  const checks: DependencyCheck[] = [];
  if (config.mongodbUrl) {
    // Loaded only when configured, as the KurrentDB client is.
    const { openMongoReadStore } = await import('./infra/mongo-read-store.js');
    const mongo = await openMongoReadStore({ url: config.mongodbUrl, logger });
    readStore = mongo;
    checks.push({
      name: 'mongodb',
      check: async () => {
        await mongo.ping();
        return { ok: true };
      },
    });
    logger.info({ adapter: 'mongodb' }, 'read store');
  }
  let bus: EventBus = log;
  let relay: Relay | null = null;
  if (config.kafkaBrokers) {
    const [{ createKafkaBus }, { createKafkaPublisher }] = await Promise.all([import('./infra/kafka-bus.js'), import('./infra/kafka-publisher.js')]);
    const kafka = { brokers: config.kafkaBrokers, clientId: 'bosun', topicPrefix: config.kafkaTopicPrefix, partitions: config.kafkaPartitions, logger };
    relay = new Relay({ log, events, publisher: await createKafkaPublisher(kafka), store: lookups, logger });
    const published = relay;
    bus = createKafkaBus({ ...kafka, publishedThrough: async () => published.published() });
    const kafkaBus = bus;
    checks.push({ name: 'kafka', check: () => kafkaBus.health() });
    logger.info({ adapter: 'kafka', brokers: config.kafkaBrokers }, 'bus');
  }
  const lookupRunner = new ProjectionRunner({ group: 'lookups', bus: log, store: lookups, projectors: lookupProjectors, events, logger });
  // Sharing one store with the lookups, the read models they already hold are not built twice.
  const shared = new Set(readStore === lookups ? lookupProjectors.map((p) => p.name) : []);
  const readModelRunner = new ProjectionRunner({
    group: 'read-models',
    bus,
    store: readStore,
    projectors: readModelProjectors.filter((p) => !shared.has(p.name)),
    events,
    logger,
  });
  relay?.onPublished(() => readModelRunner.wakeWaiters());
  return {
    lookups,
    readStore,
    lookupRunner,
    readSide: new ReadSide(
      events,
      [
        { name: 'lookups', bus: log.name, runner: lookupRunner },
        { name: 'read_models', bus: bus.name, runner: readModelRunner },
      ],
      relay,
    ),
    checks,
    start: async () => {
      await relay?.start();
      // The read models catch up in the background: Bosun takes commands while Kafka or MongoDB is down.
      readModelRunner.start().catch((error: unknown) => logger.error({ err: error }, 'read models did not start'));
      await lookupRunner.start();
    },
    stop: async () => {
      await lookupRunner.stop();
      await readModelRunner.stop();
      await relay?.stop();
      await bus.close();
      if (readStore !== lookups) await readStore.close();
      await lookups.close();
    },
  };
};

/**
 * Heartbeat metrics go where the read models do (MongoDB when configured, else the data
 * directory), in a store of their own: they are samples outside the log, not a projection.
 */
const openInstanceMetrics = async (config: Config, logger: Logger): Promise<InstanceMetricsStore> => {
  const retentionMs = config.metricsRetentionHours * 3_600_000;
  if (!config.mongodbUrl) return openEmbeddedInstanceMetrics({ file: join(config.dataDir, 'metrics.sqlite'), retentionMs, logger });
  const { openMongoInstanceMetrics } = await import('./infra/mongo-instance-metrics.js');
  return openMongoInstanceMetrics({ url: config.mongodbUrl, retentionMs, logger });
};

/** On first start the system team is created with BOSUN_ADMIN_KEY or a fresh key, shown once. */
const bootstrapSystemTeam = async (deps: CommandHandlerDeps, config: Config, readStore: ReadStore, runner: ProjectionRunner, logger: Logger) => {
  const [anyTeam] = await teamCollection(readStore).list({}, { limit: 1 });
  if (anyTeam) return;
  const created = await createTeam(deps, internalContext({ tenant: 'system', actor: { type: 'system', id: 'bootstrap' }, correlationId: 'bootstrap' }), {
    name: 'default',
    system: true,
    ...(config.adminKey ? { adminKey: config.adminKey } : {}),
  });
  await runner.waitFor(created.position, 60_000);
  if (config.adminKey) logger.info({ team_id: created.teamId }, 'system team created with BOSUN_ADMIN_KEY as its admin key');
  else logger.warn({ team_id: created.teamId, admin_key: created.issued.key }, 'system team created; its admin key is shown only this once');
};

/** Seals the log as stored (beneath upcasting) for the system team, which bootstrap has created. */
const startAuditSealer = async (config: Config, stored: EventStore, schemas: EventSchemaRegistry, logger: Logger): Promise<AuditSealer> => {
  const systemTeamId = await systemTeamOf(stored);
  if (systemTeamId === null) throw new Error('the event log holds no system team to keep its seals');
  const sealer = new AuditSealer({
    events: stored,
    schemas,
    systemTeamId,
    signingKey: config.auditSigningKey,
    sealEvents: config.auditSealEvents,
    sealSeconds: config.auditSealSeconds,
    logger,
  });
  await sealer.start();
  return sealer;
};

type Fleet = {
  /** Whether the Temporal frontend answers its gRPC health check. */
  readonly health: () => Promise<{ ok: boolean; reason?: string }>;
  /** Stops the local agents while the API still answers them, so they can report what they drop. */
  readonly stopAgents: () => Promise<void>;
  /** Called as the stop begins: what exits from now on is stopping, not crashing. */
  readonly beginStop: () => void;
  readonly stop: () => Promise<void>;
};

/**
 * What makes the fleet move: the workflow engine, the worker with its activities, the
 * reactor feeding it events, the providers, and the heartbeat monitor. Local agents that
 * should be running (after a crash of the whole machine, say) are started again.
 */
const startFleet = async (deps: {
  config: Config;
  logger: Logger;
  events: EventStore;
  commands: CommandHandlerDeps;
  lookups: ReadStore;
  /** Registers a listener for the events each commit of the lookups holds. */
  onLookupsCommitted: (listener: (events: readonly RecordedEvent[]) => void) => void;
  heartbeats: AgentHeartbeats;
  apiUrl: string;
}): Promise<Fleet> => {
  const { config, logger } = deps;
  const engine = await connectWorkflowEngine(config, logger);
  const local = createLocalProvider({ dataDir: config.dataDir, logger });
  const providers = new Map<string, InstanceProvider>([[local.name, local]]);
  const activities = {
    ...createTaskActivities({ commands: deps.commands, readStore: deps.lookups, ackTimeoutMs: config.ackTimeoutSeconds * 1000 }),
    ...createInstanceActivities({ commands: deps.commands, readStore: deps.lookups, providers, apiUrl: deps.apiUrl }),
    ...createDriftActivities({ commands: deps.commands, heartbeatSeconds: config.heartbeatSeconds }),
    ...createDeliveryActivities({
      commands: deps.commands,
      retry: { baseMs: config.webhookRetryBaseMs, maxMs: config.webhookRetryMaxMs, windowMs: config.webhookRetryWindowSeconds * 1000 },
      timeoutMs: config.webhookTimeoutMs,
    }),
  };
  const worker = await startWorker({ connection: engine.connection, namespace: engine.namespace, taskQueue: config.taskQueue, activities, logger });
  const reactor = new WorkflowReactor({
    events: deps.events,
    client: engine.client,
    taskQueue: config.taskQueue,
    checkpointFile: join(config.dataDir, 'reactor.checkpoint'),
    logger,
  });
  reactor.start();
  // Deliveries are requested only where their workflows run.
  const dispatcher = new WebhookDispatcher({
    events: deps.events,
    commands: deps.commands,
    stateFile: join(config.dataDir, 'webhook-dispatcher.json'),
    logger,
  });
  dispatcher.start();
  const placementWaker = new PlacementWaker({ client: engine.client, lookups: deps.lookups, logger });
  deps.onLookupsCommitted((events) => placementWaker.notify(events));

  const running = (await instanceCollection(deps.lookups).list({ status: 'running' }, { limit: 10_000 })).filter((instance) => instance.pending === null);
  deps.heartbeats.expect(running);
  deps.heartbeats.start();
  for (const instance of running) {
    const provider = providers.get(instance.provider);
    if (!provider || (await provider.isRunning(instance.id))) continue;
    logger.info({ instance_id: instance.id }, 'starting the agent of a running instance again');
    // The agent enrolled long ago and holds its credential: no token is needed.
    await provider
      .provision({ instanceId: instance.id, tenant: instance.tenant, name: instance.name, spec: instance.spec, apiUrl: deps.apiUrl, registrationToken: '' })
      .catch((error: unknown) => logger.error({ err: error, instance_id: instance.id }, 'agent not started again'));
  }
  return {
    health: async () => {
      const { status } = await engine.connection.healthService.check({});
      // 1 is SERVING in grpc.health.v1.
      return status === 1 ? { ok: true } : { ok: false, reason: `Temporal at ${engine.address} is not serving (health status ${String(status)})` };
    },
    stopAgents: () => local.close({ stopAgents: true }),
    beginStop: () => engine.beginClose(),
    stop: async () => {
      deps.heartbeats.stop();
      await dispatcher.stop();
      await placementWaker.stop();
      await reactor.stop();
      await worker.stop();
      await engine.close();
    },
  };
};

export const startBosun = async (config: Config): Promise<Bosun> => {
  const logger = createLogger(config.logLevel);
  const schemas = loadEventSchemas();
  const metrics = config.metrics === 'on' ? createMetrics() : null;
  const stored = await openEventStore(config, logger);
  const dataKeys = openDataKeys(config, logger);
  const events = readableEvents(metrics ? instrumentEventStore(stored, metrics) : stored, schemas, dataKeys.personal);
  const parts = await openReadSide(config, events, logger);
  const { lookups, readStore, readSide } = parts;
  // The dispatcher wakes waiting agents once the task views their claims read are committed.
  const dispatch = new TaskDispatch();
  parts.lookupRunner.onCommitted((batch) => dispatch.notify(batch));
  const env: CommandEnvironment = { now: () => new Date(), newId: () => uuidv7() };
  const commands: CommandHandlerDeps = { store: events, schemas, env, secrets: dataKeys.secrets, personal: dataKeys.personal };
  const instanceMetrics = await openInstanceMetrics(config, logger);
  const heartbeats = new AgentHeartbeats(commands, { intervalSeconds: config.heartbeatSeconds, missedBeforeUnhealthy: 3 }, instanceMetrics, logger);
  const drift = new DriftDetection(commands, logger);
  const alerting = new AlertRuleEvaluator({
    commands,
    readStore,
    readings: createFleetReadings({ lookups, readStore, heartbeats, metrics: instanceMetrics, watchingSince: Date.now() }),
    teams: async () => (await teamCollection(lookups).list({}, { limit: 10_000 })).map((team) => team.id),
    logger,
    everyMs: config.alertEvaluationMs,
  });
  const notifier = new AlertNotifier({
    events,
    channels: [webhookNotificationChannel(commands, enqueueDelivery)],
    stateFile: join(config.dataDir, 'alert-notifications.checkpoint'),
    logger,
  });
  const refusals = new AccessRefusals(
    commands,
    { systemTenant: async () => (await teamCollection(lookups).list({ system: true }, { limit: 1 }))[0]?.id ?? null },
    logger,
  );
  const keyUsage = new ApiKeyUsage(lookups, logger);
  // Declared before the app: /ready's Temporal check reads it.
  let fleet: Fleet | null = null;
  const app = createApp({
    commands,
    schemas,
    readStore,
    lookups,
    readSide,
    logger,
    rateLimit: { perSecond: config.rateLimitPerSecond },
    readWaitMs: config.readWaitMs,
    providers: ['local'],
    agents: { heartbeats, dispatch, drift },
    instanceMetrics,
    refusals,
    keyUsage,
    started: () => started,
    metrics,
    dependencies: [
      {
        name: 'event_store',
        check: async () => {
          await events.headPosition();
          return { ok: true };
        },
      },
      ...parts.checks,
      ...(config.workflows === 'on'
        ? [{ name: 'temporal', check: async () => (fleet ? (fleet as Fleet).health() : { ok: false, reason: 'not connected yet' }) }]
        : []),
    ],
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.port, config.host, () => resolve(listening));
    listening.once('error', reject);
  });
  // Keep-alive longer than common proxies' idle timeout so they close first.
  server.keepAliveTimeout = 65_000;
  server.on('clientError', clientErrorHandler(logger));
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  logger.info({ url }, 'listening');

  let started = false;
  let sealer: AuditSealer | null = null;
  const ready = parts.start().then(async () => {
    await bootstrapSystemTeam(commands, config, lookups, parts.lookupRunner, logger);
    sealer = await startAuditSealer(config, stored, schemas, logger);
    alerting.start();
    notifier.start();
    refusals.start();
    await keyUsage.start();
    if (config.workflows === 'on') {
      fleet = await startFleet({
        config,
        logger,
        events,
        commands,
        lookups,
        onLookupsCommitted: (listener) => parts.lookupRunner.onCommitted(listener),
        heartbeats,
        apiUrl: config.publicUrl ?? url,
      });
    }
    started = true;
    logger.info({ url, position: parts.lookupRunner.status().position }, 'ready');
  });
  ready.catch((error: unknown) => logger.error({ err: error }, 'failed to become ready'));

  let closed: Promise<void> | null = null;
  const close = () =>
    (closed ??= (async () => {
      // Requests in flight get to finish (and their appends to be acknowledged); idle keep-alive
      // connections close now, long polls end, and stragglers are cut after a grace period.
      dispatch.close();
      await ready.catch(() => undefined);
      (fleet as Fleet | null)?.beginStop();
      await (fleet as Fleet | null)?.stopAgents();
      await new Promise<void>((resolve) => {
        const grace = setTimeout(() => server.closeAllConnections(), 5000);
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        server.closeIdleConnections();
      });
      await (fleet as Fleet | null)?.stop();
      await alerting.stop();
      await notifier.stop();
      await refusals.stop();
      await keyUsage.stop();
      await sealer?.stop();
      await parts.stop();
      await instanceMetrics.close();
      await events.close();
      await dataKeys.close();
    })());
  return { url, logger, events, commands, readStore, lookups, readSide, ready, routes: registeredRoutes(app), refusals, keyUsage, close };
};
