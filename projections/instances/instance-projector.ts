import { streamViewProjector } from '../stream-view-projector.js';
import { evolveInstanceView, type InstanceView } from './instance-view.js';

const instances = streamViewProjector<InstanceView>({ name: 'instances', category: 'instance', evolve: evolveInstanceView });

export const instanceProjector = instances.projector;
export const instanceCollection = instances.collection;
