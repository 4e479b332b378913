import type { AlertSeverity } from '../domain/alert/index.js';
import type { AgentHeartbeats } from '../processes/agent-heartbeats.js';
import type { FleetReadings, InstanceRef, MetricSample } from '../processes/alert-rules/fleet-readings.js';
import { minuteMs, minuteOf, type InstanceMetricsStore, type MinuteBucket } from '../processes/instance-metrics.js';
import { driftCollection } from '../projections/drift/drift-projector.js';
import { instanceCollection } from '../projections/instances/instance-projector.js';
import { listInPages, type ReadStore } from '../projections/read-store.js';
import { taskCollection } from '../projections/tasks/task-projector.js';

/** Runs Bosun failed over itself (the agent was lost): not the instance failing its tasks, which no_heartbeat covers. */
const failedOverCode = 'agent_lost';

/** Drift an operator still has to see to. */
const unsettledDrift = ['open', 'remediating', 'escalated'] as const;

/**
 * FleetReadings over what Bosun keeps: instances and tasks from the command side's lookups
 * (in process, never behind), drift from the read models, heartbeats from the monitor (they
 * are not events). An instance the monitor has not heard of since `watchingSince` (this
 * start) counts as heard of then or at its agent's registration, whichever is later, so a
 * restart does not alert on the whole fleet at once.
 *
 * Metrics come from the heartbeat metrics store, which keeps minutes: a sample is a
 * minute's average, at the minute's start, so thresholds hold over minute averages (a
 * single spike within a minute does not trip a rule, a minute above it does).
 */
export const createFleetReadings = (deps: {
  readonly lookups: ReadStore;
  readonly readStore: ReadStore;
  readonly heartbeats: Pick<AgentHeartbeats, 'lastSeenAt'>;
  readonly metrics: Pick<InstanceMetricsStore, 'minutes'>;
  readonly watchingSince: number;
  readonly now?: () => number;
}): FleetReadings => {
  const now = deps.now ?? Date.now;
  const instancesOf = async (tenant: string): Promise<Map<string, InstanceRef>> => {
    const instances = await instanceCollection(deps.lookups).list({ tenant }, { limit: 10_000 });
    return new Map(instances.map(({ id, name }) => [id, { id, name }]));
  };
  const refOf = (instances: Map<string, InstanceRef>, id: string): InstanceRef => instances.get(id) ?? { id, name: id };

  return {
    lastHeartbeats: async (tenant) => {
      const running = await instanceCollection(deps.lookups).list({ tenant, status: 'running' }, { limit: 10_000 });
      return running.map((instance) => {
        const registered = Date.parse(instance.agent?.registered_at ?? instance.created_at);
        const seen = deps.heartbeats.lastSeenAt(instance.id) ?? Math.max(deps.watchingSince, registered);
        return { instance: { id: instance.id, name: instance.name }, at: new Date(seen).toISOString() };
      });
    },
    taskOutcomes: async (tenant, since) => {
      const ended = await listInPages(taskCollection(deps.lookups), { tenant, status: { $in: ['completed', 'failed'] }, finished_at: { $gte: since } }, 10_000);
      const instances = await instancesOf(tenant);
      const byInstance = new Map<string, { instance: InstanceRef; completed: number; failed: number }>();
      for (const task of ended) {
        if (task.instance_id === null || task.error?.code === failedOverCode) continue;
        const entry = byInstance.get(task.instance_id) ?? { instance: refOf(instances, task.instance_id), completed: 0, failed: 0 };
        if (task.status === 'completed') entry.completed++;
        else entry.failed++;
        byInstance.set(task.instance_id, entry);
      }
      return [...byInstance.values()];
    },
    openDrift: async (tenant) => {
      const drifts = await driftCollection(deps.readStore).list({ tenant, status: { $in: [...unsettledDrift] } }, { limit: 10_000 });
      const instances = await instancesOf(tenant);
      return drifts.map((drift) => ({ instance: refOf(instances, drift.instance_id), driftId: drift.id, severity: drift.severity as AlertSeverity }));
    },
    metricSeries: async (tenant, metric, since) => {
      const from = minuteOf(Date.parse(since));
      const running = await instanceCollection(deps.lookups).list({ tenant, status: 'running' }, { limit: 10_000 });
      const averageOf = (bucket: MinuteBucket): MetricSample | null => {
        const count = bucket.counts[metric];
        const sum = bucket.sums[metric];
        return count && sum !== undefined ? { at: new Date(bucket.minute).toISOString(), value: sum / count } : null;
      };
      return Promise.all(
        running.map(async (instance) => {
          // The minute before the window is the value in force as it began; older minutes do not count.
          const minutes = await deps.metrics.minutes(tenant, instance.id, from - minuteMs, now() + minuteMs);
          const samples = minutes.filter((bucket) => bucket.minute >= from).flatMap((bucket) => averageOf(bucket) ?? []);
          const earlier = minutes.find((bucket) => bucket.minute < from);
          return { instance: { id: instance.id, name: instance.name }, before: earlier ? averageOf(earlier) : null, samples };
        }),
      );
    },
  };
};
