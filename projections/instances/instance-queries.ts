import type { Health, InstanceStatus } from '../../domain/instance/events.js';
import type { Filter, Page, ReadStore } from '../read-store.js';
import { instanceCollection } from './instance-projector.js';
import type { InstanceView } from './instance-view.js';

/** Another tenant's instance is indistinguishable from a missing one. */
export const getInstance = async (store: ReadStore, tenant: string, id: string): Promise<InstanceView | null> => {
  const instance = await instanceCollection(store).get(id);
  return instance && instance.tenant === tenant ? instance : null;
};

export type InstanceListFilter = {
  readonly status?: InstanceStatus;
  readonly provider?: string;
  readonly health?: Health;
  /** A skill of the spec, by name. */
  readonly skill?: string;
  /** Part of the name, A-Z case-insensitive. */
  readonly q?: string;
};

export const instanceFilter = (tenant: string, filter: InstanceListFilter): Filter<InstanceView> => ({
  tenant,
  ...(filter.status ? { status: filter.status } : {}),
  ...(filter.provider ? { provider: filter.provider } : {}),
  ...(filter.health ? { health: filter.health } : {}),
  ...(filter.skill ? { skills: { $has: filter.skill } } : {}),
  ...(filter.q ? { name: { $contains: filter.q } } : {}),
});

export const listInstances = (store: ReadStore, tenant: string, filter: InstanceListFilter, page: Page): Promise<InstanceView[]> =>
  instanceCollection(store).list(instanceFilter(tenant, filter), page);
