import { severities, type Severity } from '../../domain/drift/index.js';
import type { Page, ReadStore } from '../read-store.js';
import { driftCollection } from './drift-projector.js';
import { driftViewStatuses, type DriftView, type DriftViewStatus } from './drift-view.js';
import { snapshotCollection, type SnapshotView } from './snapshot-projector.js';

/** Another tenant's drift is indistinguishable from a missing one. */
export const getDrift = async (store: ReadStore, tenant: string, id: string): Promise<DriftView | null> => {
  const drift = await driftCollection(store).get(id);
  return drift && drift.tenant === tenant ? drift : null;
};

export const listDrifts = (
  store: ReadStore,
  tenant: string,
  filter: { instance_id?: string; status?: DriftViewStatus; severity?: Severity },
  page: Page,
): Promise<DriftView[]> => driftCollection(store).list({ tenant, ...filter }, page);

export const listSnapshots = (store: ReadStore, tenant: string, instanceId: string, page: Page): Promise<SnapshotView[]> =>
  snapshotCollection(store).list({ tenant, instance_id: instanceId }, page);

export type DriftSummary = {
  readonly by_status: Readonly<Record<DriftViewStatus, number>>;
  /** Drifts neither resolved nor dismissed, by severity. */
  readonly active_by_severity: Readonly<Record<Severity, number>>;
};

/** Drift neither resolved nor dismissed. */
export const activeDriftStatuses = driftViewStatuses.filter((status) => status !== 'resolved' && status !== 'dismissed');

/** A team's drifts counted by status, and the active ones by severity: indexed counts, no scan. */
export const getDriftSummary = async (store: ReadStore, tenant: string): Promise<DriftSummary> => {
  const drifts = driftCollection(store);
  const byStatus = await Promise.all(driftViewStatuses.map(async (status) => [status, await drifts.count({ tenant, status })] as const));
  const bySeverity = await Promise.all(
    severities.map(async (severity) => {
      const counts = await Promise.all(activeDriftStatuses.map((status) => drifts.count({ tenant, status, severity })));
      return [severity, counts.reduce((sum, n) => sum + n, 0)] as const;
    }),
  );
  return {
    by_status: Object.fromEntries(byStatus) as DriftSummary['by_status'],
    active_by_severity: Object.fromEntries(bySeverity) as DriftSummary['active_by_severity'],
  };
};
