import semver from 'semver';
import { alertSeverities, alertStatuses, type AlertSeverity, type AlertStatus } from '../../domain/alert/events.js';
import { severities, type Severity } from '../../domain/drift/compare.js';
import { plainSecretPaths, type SecurityInputs } from '../../domain/fleet/security-score.js';
import { healthStates, instanceStatuses, type Health, type InstanceStatus } from '../../domain/instance/events.js';
import { taskStatuses, type TaskStatus } from '../../domain/task/events.js';
import { alertCollection } from '../alerts/alert-projector.js';
import { driftCollection } from '../drift/drift-projector.js';
import { activeDriftStatuses, getDriftSummary, listSnapshots } from '../drift/drift-queries.js';
import { instanceCollection } from '../instances/instance-projector.js';
import type { InstanceView } from '../instances/instance-view.js';
import type { Collection, Filter, ReadDocument, ReadStore } from '../read-store.js';
import { taskCollection } from '../tasks/task-projector.js';

export type FleetStats = {
  readonly instances: {
    readonly total: number;
    readonly by_status: Readonly<Record<InstanceStatus, number>>;
    readonly by_health: Readonly<Record<Health, number>>;
    readonly by_provider: Readonly<Record<string, number>>;
  };
  /** Tasks created in the window, by their status now. */
  readonly tasks: { readonly since: string; readonly total: number; readonly by_status: Readonly<Record<TaskStatus, number>> };
  readonly alerts: { readonly open_by_severity: Readonly<Record<AlertSeverity, number>>; readonly by_status: Readonly<Record<AlertStatus, number>> };
  readonly drift: { readonly open_by_severity: Readonly<Record<Severity, number>> };
};

/** One count per value, each answered from an index: no document is read. */
const countBy = async <D extends ReadDocument, V extends string>(
  collection: Collection<D>,
  values: readonly V[],
  filterOf: (value: V) => Filter<D>,
): Promise<Record<V, number>> =>
  Object.fromEntries(await Promise.all(values.map(async (value) => [value, await collection.count(filterOf(value))] as const))) as Record<V, number>;

const unresolvedAlerts: readonly AlertStatus[] = ['open', 'acknowledged'];

const sum = (counts: Readonly<Record<string, number>>): number => Object.values(counts).reduce((total, n) => total + n, 0);

/**
 * The team's fleet at a glance. `providers` are the providers Bosun is configured with:
 * instances are counted for each (an instance of a provider since removed is in the status
 * and health counts, not the provider ones).
 */
export const fleetStats = async (store: ReadStore, tenant: string, providers: readonly string[], since: string): Promise<FleetStats> => {
  const instances = instanceCollection(store);
  const tasks = taskCollection(store);
  const alerts = alertCollection(store);
  const [byStatus, byHealth, byProvider, tasksByStatus, openAlerts, alertsByStatus, drift] = await Promise.all([
    countBy(instances, instanceStatuses, (status) => ({ tenant, status })),
    countBy(instances, healthStates, (health) => ({ tenant, health })),
    countBy(instances, providers, (provider) => ({ tenant, provider })),
    countBy(tasks, taskStatuses, (status) => ({ tenant, status, created_at: { $gte: since } })),
    countBy(alerts, alertSeverities, (severity) => ({ tenant, severity, status: { $in: unresolvedAlerts } })),
    countBy(alerts, alertStatuses, (status) => ({ tenant, status })),
    getDriftSummary(store, tenant),
  ]);
  return {
    instances: { total: sum(byStatus), by_status: byStatus, by_health: byHealth, by_provider: byProvider },
    tasks: { since, total: sum(tasksByStatus), by_status: tasksByStatus },
    alerts: { open_by_severity: openAlerts, by_status: alertsByStatus },
    drift: { open_by_severity: drift.active_by_severity },
  };
};

const pageSize = 500;

/** The newest runtime version the team's live instances are specified with. */
const newestRuntime = async (store: ReadStore, tenant: string): Promise<string | null> => {
  const instances = instanceCollection(store);
  let newest: semver.SemVer | null = null;
  let newestText: string | null = null;
  let before: number | undefined;
  for (;;) {
    const page = await instances.list(
      { tenant, status: { $in: ['provisioning', 'running', 'suspended'] } },
      { limit: pageSize, ...(before === undefined ? {} : { before }) },
    );
    for (const instance of page) {
      const version = instance.spec.runtime_version === null ? null : semver.coerce(instance.spec.runtime_version);
      if (version && (!newest || semver.gt(version, newest))) {
        newest = version;
        newestText = instance.spec.runtime_version;
      }
    }
    if (page.length < pageSize) return newestText;
    before = page[page.length - 1]?.seq;
  }
};

/** What the read models know of an instance's security; heartbeats come from the caller, who tracks them. */
export const securityInputs = async (store: ReadStore, instance: InstanceView, missedHeartbeats: number | null): Promise<SecurityInputs> => {
  const drifts = driftCollection(store);
  const [openDrift, teamNewestRuntime, snapshots] = await Promise.all([
    countBy(drifts, severities, (severity) => ({ tenant: instance.tenant, instance_id: instance.id, severity, status: { $in: activeDriftStatuses } })),
    newestRuntime(store, instance.tenant),
    listSnapshots(store, instance.tenant, instance.id, { limit: 1 }),
  ]);
  return {
    openDrift,
    shellAllowed: instance.spec.settings.allow_shell === true,
    // What the agent last reported runs, else what it was asked to run.
    runtimeVersion: snapshots[0]?.snapshot.runtime_version ?? instance.spec.runtime_version,
    teamNewestRuntime,
    missedHeartbeats: instance.status === 'running' ? missedHeartbeats : null,
    plainSecrets: plainSecretPaths(instance.spec.settings),
  };
};
