import { alertSeverities, alertStatuses, type AlertSeverity, type AlertStatus } from '../../domain/alert/events.js';
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
  filter: { status?: AlertStatus; rule?: string; rule_id?: string; subject_id?: string },
  page: Page,
): Promise<AlertView[]> => alertCollection(store).list({ tenant, ...filter }, page);

/** The alerts a rule has open (or acknowledged) now, by subject id. */
export const unresolvedAlertsOfRule = (store: ReadStore, tenant: string, ruleId: string): Promise<AlertView[]> =>
  alertCollection(store).list({ tenant, rule_id: ruleId, status: { $in: ['open', 'acknowledged'] } }, { limit: 10_000 });

/** How many alerts a rule has ever raised about a subject: the next one's ordinal. */
export const alertsRaisedAbout = (store: ReadStore, tenant: string, ruleId: string, subjectId: string): Promise<number> =>
  alertCollection(store).count({ tenant, rule_id: ruleId, subject_id: subjectId });

export type AlertSummary = {
  readonly by_status: Record<AlertStatus, number>;
  readonly by_severity: Record<AlertSeverity, Record<AlertStatus, number>>;
};

/** The team's alerts counted by severity and status: one count per pair, on the index of both. */
export const getAlertSummary = async (store: ReadStore, tenant: string): Promise<AlertSummary> => {
  const alerts = alertCollection(store);
  const by_severity = Object.fromEntries(
    await Promise.all(
      alertSeverities.map(
        async (severity) =>
          [
            severity,
            Object.fromEntries(await Promise.all(alertStatuses.map(async (status) => [status, await alerts.count({ tenant, severity, status })]))),
          ] as const,
      ),
    ),
  ) as AlertSummary['by_severity'];
  const by_status = Object.fromEntries(
    alertStatuses.map((status) => [status, alertSeverities.reduce((sum, severity) => sum + by_severity[severity][status], 0)]),
  ) as AlertSummary['by_status'];
  return { by_status, by_severity };
};
