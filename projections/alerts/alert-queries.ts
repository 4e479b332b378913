import type { AlertStatus } from '../../domain/alert/events.js';
import type { Page, ReadStore } from '../read-store.js';
import { alertCollection } from './alert-projector.js';
import type { AlertView } from './alert-view.js';

/** Another tenant's alert is indistinguishable from a missing one. */
export const getAlert = async (store: ReadStore, tenant: string, id: string): Promise<AlertView | null> => {
  const alert = await alertCollection(store).get(id);
  return alert && alert.tenant === tenant ? alert : null;
};

export const listAlerts = (
  store: ReadStore,
  tenant: string,
  filter: { status?: AlertStatus; rule?: string; subject_id?: string },
  page: Page,
): Promise<AlertView[]> => alertCollection(store).list({ tenant, ...filter }, page);
