import { instanceIdOfStream } from '../../commands/instances.js';
import type { Projector } from '../projector.js';
import type { ReadStore } from '../read-store.js';
import { evolveInstanceView, type InstanceView } from './instance-view.js';

export const instanceCollection = (store: ReadStore) => store.collection<InstanceView>('instances');

export const instanceProjector: Projector = {
  name: 'instances',
  apply: async (event, store) => {
    if (!event.type.startsWith('instance.')) return;
    const instances = instanceCollection(store);
    const current = await instances.get(instanceIdOfStream(event.stream));
    // Applied twice, changed once: the view already reflects this revision.
    if (current && event.revision <= current.revision) return;
    const next = evolveInstanceView(current, event);
    if (next && next !== current) await instances.put(next);
  },
};
