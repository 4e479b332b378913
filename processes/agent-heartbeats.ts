import type { Logger } from 'pino';
import { internalContext, type CommandContext } from '../commands/command-context.js';
import type { CommandHandlerDeps } from '../commands/handle-command.js';
import { executeInstanceCommand } from '../commands/instances.js';
import type { ConfigurationSnapshot } from '../domain/drift/compare.js';
import type { Health } from '../domain/instance/events.js';
import { DomainError } from '../domain/shared/errors.js';
import type { InstanceMetricsStore } from './instance-metrics.js';

export type HeartbeatReport = {
  readonly metrics: Readonly<Record<string, number>>;
  readonly configuration: ConfigurationSnapshot;
  readonly running_task_ids: readonly string[];
};

export type HeartbeatOptions = {
  /** What agents are told to keep. @defaultValue 5 */
  readonly intervalSeconds: number;
  /** Intervals without a heartbeat before an instance is unhealthy. @defaultValue 3 */
  readonly missedBeforeUnhealthy: number;
};

type Liveness = { readonly tenant: string; seenAt: number; health: Health; last: HeartbeatReport | null };

/** Metric writes waiting on a slow store; beyond this, samples are dropped rather than queued. */
const maxMetricWritesInFlight = 32;

const systemContext = (tenant: string, reason: string): CommandContext =>
  internalContext({ tenant, actor: { type: 'system', id: 'heartbeat-monitor' }, correlationId: reason });

/**
 * Heartbeats are not events (they would flood the log); only the health they imply is. An
 * instance is healthy while it beats, and unhealthy once it misses a few: that change is
 * recorded, and the instance workflow reacts to it (its tasks are failed over).
 */
export class AgentHeartbeats {
  readonly #instances = new Map<string, Liveness>();
  #sweeper: NodeJS.Timeout | null = null;
  #metricWrites = 0;

  constructor(
    private readonly deps: CommandHandlerDeps,
    readonly options: HeartbeatOptions,
    private readonly metrics: InstanceMetricsStore,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** A heartbeat arrived: the instance is alive; records `healthy` if it was not, and keeps its metrics. */
  async record(instanceId: string, tenant: string, report: HeartbeatReport, ctx: CommandContext): Promise<void> {
    this.#keepMetrics(instanceId, tenant, report.metrics);
    const liveness = this.#instances.get(instanceId) ?? { tenant, seenAt: 0, health: 'unknown', last: null };
    liveness.seenAt = this.now();
    liveness.last = report;
    this.#instances.set(instanceId, liveness);
    if (liveness.health !== 'healthy') {
      await this.#changeHealth(instanceId, liveness, 'healthy', 'heartbeats arrive', ctx);
    }
  }

  /**
   * The heartbeat is answered without waiting on the metrics store (which may be MongoDB, and
   * down): a sample that cannot be written is logged and lost, and a store too slow to keep
   * up loses samples instead of piling them up in memory.
   */
  #keepMetrics(instanceId: string, tenant: string, values: Readonly<Record<string, number>>): void {
    if (Object.keys(values).length === 0) return;
    if (this.#metricWrites >= maxMetricWritesInFlight) {
      this.logger.warn({ instance_id: instanceId }, 'heartbeat metrics dropped: the metrics store is behind');
      return;
    }
    this.#metricWrites += 1;
    this.metrics
      .record({ tenant, instanceId, at: this.now(), values })
      .catch((error: unknown) => this.logger.warn({ err: error, instance_id: instanceId }, 'heartbeat metrics not kept'))
      .finally(() => {
        this.#metricWrites -= 1;
      });
  }

  /**
   * Instances expected to beat (running ones at start): each gets one full grace period
   * from now, so a restart of Bosun alone does not mark the fleet unhealthy.
   */
  expect(instances: readonly { id: string; tenant: string; health: Health }[]): void {
    for (const { id, tenant, health } of instances) {
      if (!this.#instances.has(id)) this.#instances.set(id, { tenant, seenAt: this.now(), health, last: null });
    }
  }

  /** A suspended or destroyed instance stops beating on purpose. */
  forget(instanceId: string): void {
    this.#instances.delete(instanceId);
  }

  lastReport(instanceId: string): HeartbeatReport | null {
    return this.#instances.get(instanceId)?.last ?? null;
  }

  start(sweepMs = 1000): void {
    this.#sweeper ??= setInterval(() => void this.sweep(), sweepMs);
    this.#sweeper.unref();
  }

  stop(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
  }

  /** Marks instances whose heartbeats stopped unhealthy. */
  async sweep(): Promise<void> {
    await this.#sweep().catch((error: unknown) => this.logger.error({ err: error }, 'heartbeat sweep failed'));
  }

  async #sweep(): Promise<void> {
    const deadline = this.now() - this.options.intervalSeconds * this.options.missedBeforeUnhealthy * 1000;
    for (const [instanceId, liveness] of this.#instances) {
      if (liveness.seenAt >= deadline || liveness.health === 'unhealthy') continue;
      const missedSeconds = Math.round((this.now() - liveness.seenAt) / 1000);
      await this.#changeHealth(
        instanceId,
        liveness,
        'unhealthy',
        `no heartbeat for ${missedSeconds} s`,
        systemContext(liveness.tenant, `heartbeats-${instanceId}`),
      );
    }
  }

  async #changeHealth(instanceId: string, liveness: Liveness, health: Health, reason: string, ctx: CommandContext): Promise<void> {
    try {
      const { state } = await executeInstanceCommand(this.deps, ctx, instanceId, { type: 'ChangeHealth', health, reason });
      if (state.status !== 'none' && state.health !== health) {
        // Suspended: silent on purpose. Its grace period starts again, so a resume that brings no agent back is noticed.
        liveness.seenAt = this.now();
        return;
      }
      liveness.health = health;
      this.logger.info({ instance_id: instanceId, health, reason }, 'instance health changed');
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // A destroyed instance has no health to change: stop watching it.
      this.logger.debug({ err: error, instance_id: instanceId, health }, 'health not recorded');
      this.forget(instanceId);
    }
  }
}
