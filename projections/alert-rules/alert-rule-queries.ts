import type { AlertRuleKind } from '../../domain/alert-rule/index.js';
import type { Page, ReadStore } from '../read-store.js';
import { alertRuleCollection } from './alert-rule-projector.js';
import type { AlertRuleView } from './alert-rule-view.js';

/** Another tenant's rule, and a deleted one, are indistinguishable from a missing one. */
export const getAlertRule = async (store: ReadStore, tenant: string, id: string): Promise<AlertRuleView | null> => {
  const rule = await alertRuleCollection(store).get(id);
  return rule && rule.tenant === tenant && rule.status !== 'deleted' ? rule : null;
};

export const listAlertRules = (
  store: ReadStore,
  tenant: string,
  filter: { status?: 'enabled' | 'disabled'; kind?: AlertRuleKind },
  page: Page,
): Promise<AlertRuleView[]> =>
  alertRuleCollection(store).list({ tenant, status: filter.status ?? { $in: ['enabled', 'disabled'] }, ...(filter.kind ? { kind: filter.kind } : {}) }, page);

/** Every rule of the team, deleted ones included (their open alerts are to be resolved). */
export const allAlertRulesOf = (store: ReadStore, tenant: string): Promise<AlertRuleView[]> => alertRuleCollection(store).list({ tenant }, { limit: 10_000 });
