import { streamViewProjector } from '../stream-view-projector.js';
import { evolveInstanceView, type InstanceView } from './instance-view.js';

const instances = streamViewProjector<InstanceView>({
  name: 'instances',
  category: 'instance',
  indexes: [
    ['tenant', 'status'],
    ['tenant', 'provider'],
  ],
  evolve: evolveInstanceView,
});

export const instanceProjector = instances.projector;
export const instanceCollection = instances.collection;
