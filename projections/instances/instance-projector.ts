import { streamViewProjector } from '../stream-view-projector.js';
import { evolveInstanceView, type InstanceView } from './instance-view.js';

const instances = streamViewProjector<InstanceView>({
  name: 'instances',
  category: 'instance',
  indexes: [
    ['tenant', 'status'],
    ['tenant', 'provider'],
    ['tenant', 'health'],
    ['tenant', 'name'],
    ['tenant', 'created_at'],
  ],
  evolve: evolveInstanceView,
});

export const instanceProjector = instances.projector;
export const instanceCollection = instances.collection;
