import type { InstanceStatus } from '../../domain/instance/events.js';
import type { Page, ReadStore } from '../read-store.js';
import { instanceCollection } from './instance-projector.js';
import type { InstanceView } from './instance-view.js';

/** Another tenant's instance is indistinguishable from a missing one. */
export const getInstance = async (store: ReadStore, tenant: string, id: string): Promise<InstanceView | null> => {
  const instance = await instanceCollection(store).get(id);
  return instance && instance.tenant === tenant ? instance : null;
};

export const listInstances = (store: ReadStore, tenant: string, filter: { status?: InstanceStatus; provider?: string }, page: Page): Promise<InstanceView[]> =>
  instanceCollection(store).list({ tenant, ...filter }, page);
