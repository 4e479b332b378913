import type { Severity } from '../../domain/drift/index.js';
import type { Page, ReadStore } from '../read-store.js';
import { driftCollection, driftSummaryCollection, emptyDriftSummary, type DriftSummaryView } from './drift-projector.js';
import type { DriftView, DriftViewStatus } from './drift-view.js';
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

export const getDriftSummary = async (store: ReadStore, tenant: string): Promise<DriftSummaryView> =>
  (await driftSummaryCollection(store).get(tenant)) ?? emptyDriftSummary(tenant, 0);
