import type { Projector } from '../projector.js';
import type { ReadStore } from '../read-store.js';
import { evolveDriftView, type DriftView } from './drift-view.js';

export const driftCollection = (store: ReadStore) => store.collection<DriftView>('drift_events');

export const isActiveDrift = (drift: Pick<DriftView, 'status'>): boolean => drift.status !== 'resolved' && drift.status !== 'dismissed';

/**
 * Drift events, one document per drift. A team's summary is counted from them when asked
 * (see drift-queries.ts) rather than kept as a counter document: a counter changed beside
 * its drift cannot be made idempotent without a transaction spanning both.
 */
export const driftProjector: Projector = {
  name: 'drift',
  collections: [{ name: 'drift_events', indexes: [['tenant'], ['tenant', 'instance_id'], ['tenant', 'status', 'severity'], ['tenant', 'severity']] }],
  categories: ['drift'],
  apply: async (event, store) => {
    if (!event.type.startsWith('drift.') || event.type === 'drift.snapshot_recorded') return;
    const drifts = driftCollection(store);
    const current = await drifts.get((event.data as { drift_id: string }).drift_id);
    // Applied twice, changed once: the view already reflects this revision.
    if (current && event.revision <= current.revision) return;
    const next = evolveDriftView(current, event);
    if (next && next !== current) await drifts.put(next);
  },
};
