import { severities, type Severity } from '../../domain/drift/index.js';
import type { Projector } from '../projector.js';
import type { ReadDocument, ReadStore } from '../read-store.js';
import { driftViewStatuses, evolveDriftView, type DriftView, type DriftViewStatus } from './drift-view.js';

/** A team's drifts counted, kept as each drift changes so the summary never scans them. */
export type DriftSummaryView = ReadDocument & {
  readonly by_status: Readonly<Record<DriftViewStatus, number>>;
  /** Drifts neither resolved nor dismissed, by severity. */
  readonly active_by_severity: Readonly<Record<Severity, number>>;
};

export const driftCollection = (store: ReadStore) => store.collection<DriftView>('drift_events');
export const driftSummaryCollection = (store: ReadStore) => store.collection<DriftSummaryView>('drift_summaries');

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

export const emptyDriftSummary = (tenant: string, seq: number): DriftSummaryView => ({
  id: tenant,
  tenant,
  seq,
  revision: -1,
  by_status: zeros(driftViewStatuses),
  active_by_severity: zeros(severities),
});

export const isActiveDrift = (drift: Pick<DriftView, 'status'>): boolean => drift.status !== 'resolved' && drift.status !== 'dismissed';

const counted = (summary: DriftSummaryView, drift: DriftView, delta: 1 | -1): DriftSummaryView => ({
  ...summary,
  by_status: { ...summary.by_status, [drift.status]: summary.by_status[drift.status] + delta },
  active_by_severity: isActiveDrift(drift) ? { ...summary.active_by_severity, [drift.severity]: summary.active_by_severity[drift.severity] + delta } : summary.active_by_severity,
});

/** Drift events (one document per drift) and each team's summary of them. */
export const driftProjector: Projector = {
  name: 'drift',
  apply: async (event, store) => {
    if (!event.type.startsWith('drift.') || event.type === 'drift.snapshot_recorded') return;
    const drifts = driftCollection(store);
    const current = await drifts.get((event.data as { drift_id: string }).drift_id);
    // Applied twice, changed once: the view already reflects this revision, and so does the summary.
    if (current && event.revision <= current.revision) return;
    const next = evolveDriftView(current, event);
    if (!next || next === current) return;
    await drifts.put(next);
    const summaries = driftSummaryCollection(store);
    const summary = (await summaries.get(event.tenant)) ?? emptyDriftSummary(event.tenant, event.position);
    await summaries.put(counted(current ? counted(summary, current, -1) : summary, next, 1));
  },
};
