import type { ConfigurationSnapshot, SnapshotRecorded } from '../../domain/drift/index.js';
import { idOfStream } from '../../events/streams.js';
import type { Projector } from '../projector.js';
import type { ReadDocument, ReadStore } from '../read-store.js';

/** A configuration snapshot as recorded (secret values masked; recorded only when it changed), by its event id. */
export type SnapshotView = ReadDocument & {
  readonly instance_id: string;
  readonly snapshot: ConfigurationSnapshot;
  /** The drift open once it was compared with the desired spec, if any. */
  readonly drift_id: string | null;
  readonly recorded_at: string;
  readonly position: number;
};

export const snapshotCollection = (store: ReadStore) => store.collection<SnapshotView>('configuration_snapshots');

export const snapshotProjector: Projector = {
  name: 'configuration_snapshots',
  collections: [{ name: 'configuration_snapshots', indexes: [['tenant'], ['tenant', 'instance_id']] }],
  categories: ['drift'],
  apply: async (event, store) => {
    if (event.type !== 'drift.snapshot_recorded') return;
    const snapshots = snapshotCollection(store);
    // Applied twice, changed once: a recorded snapshot never changes.
    if (await snapshots.get(event.id)) return;
    const { snapshot, drift_id } = event.data as SnapshotRecorded['data'];
    await snapshots.put({
      id: event.id,
      tenant: event.tenant,
      seq: event.position,
      revision: event.revision,
      position: event.position,
      instance_id: idOfStream(event.stream),
      snapshot,
      drift_id,
      recorded_at: event.metadata.occurred_at,
    });
  },
};
