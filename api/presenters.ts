/**
 * The public shape of each resource that has a stream, in one module that imports no route:
 * the routes and the registry of stream resources (api/stream-resources.ts) both present with them.
 */
import type { AlertRuleView } from '../projections/alert-rules/alert-rule-view.js';
import type { AlertView } from '../projections/alerts/alert-view.js';
import type { DriftView } from '../projections/drift/drift-view.js';
import type { InstanceView } from '../projections/instances/instance-view.js';
import type { TaskView } from '../projections/tasks/task-view.js';
import { present } from './resource-views.js';

// Views stored before reruns have no rerun_of: such a task was submitted anew.
export const presentTask = (task: TaskView) => ({ ...present('task', task), rerun_of: task.rerun_of ?? null });

export const presentInstance = (instance: InstanceView) => present('instance', instance);

export const presentDrift = (drift: DriftView) => present('drift_event', drift);

/** An alert's subject is shown as one object. */
export const presentAlert = ({ subject_type, subject_id, ...alert }: AlertView) => ({
  ...present('alert', alert),
  // Views stored before rules were a team's have no rule id.
  rule_id: alert.rule_id ?? null,
  subject: { type: subject_type, id: subject_id },
});

export const presentAlertRule = (rule: AlertRuleView) => present('alert_rule', rule);
