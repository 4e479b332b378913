import type { AlertRuleCondition } from '../../domain/alert-rule/index.js';
import { alertSeverities, type AlertSubject } from '../../domain/alert/index.js';
import type { FleetReadings, InstanceRef, MetricSample } from './fleet-readings.js';

/** A subject the condition holds for now, and what to tell operators about it. */
export type Firing = { readonly subject: AlertSubject; readonly message: string };

const describe = (instance: InstanceRef) => `instance ${instance.name} (${instance.id})`;
const subjectOf = (instance: InstanceRef): AlertSubject => ({ type: 'instance', id: instance.id });
const isoBefore = (now: number, seconds: number) => new Date(now - seconds * 1000).toISOString();
const rank = (severity: string) => alertSeverities.indexOf(severity as (typeof alertSeverities)[number]);

/**
 * Where `condition` holds, over the team's readings at `now` (epoch ms). Given the same
 * readings and time it answers the same, so a rule's behaviour is tested with a fake port.
 */
export const firingsOf = async (condition: AlertRuleCondition, readings: FleetReadings, tenant: string, now: number): Promise<Firing[]> => {
  switch (condition.kind) {
    case 'no_heartbeat': {
      const beats = await readings.lastHeartbeats(tenant);
      return beats
        .filter(({ at }) => now - Date.parse(at) >= condition.seconds * 1000)
        .map(({ instance, at }) => ({
          subject: subjectOf(instance),
          message: `${describe(instance)} sent no heartbeat for ${Math.round((now - Date.parse(at)) / 1000)} s (the rule allows ${condition.seconds} s)`,
        }));
    }
    case 'task_failure_rate': {
      const outcomes = await readings.taskOutcomes(tenant, isoBefore(now, condition.window_seconds));
      return outcomes
        .filter(({ completed, failed }) => completed + failed >= condition.min_count && failed / (completed + failed) >= condition.rate)
        .map(({ instance, completed, failed }) => ({
          subject: subjectOf(instance),
          message: `${failed} of ${completed + failed} task runs failed on ${describe(instance)} within ${condition.window_seconds} s`,
        }));
    }
    case 'open_drift': {
      const byInstance = new Map<string, { instance: InstanceRef; severities: string[] }>();
      for (const { instance, severity } of await readings.openDrift(tenant)) {
        if (rank(severity) < rank(condition.severity)) continue;
        const entry = byInstance.get(instance.id) ?? { instance, severities: [] };
        entry.severities.push(severity);
        byInstance.set(instance.id, entry);
      }
      return [...byInstance.values()].map(({ instance, severities }) => {
        const worst = severities.reduce((a, b) => (rank(b) > rank(a) ? b : a));
        return {
          subject: subjectOf(instance),
          message: `${describe(instance)} has ${severities.length} open drift event(s) at or above ${condition.severity} (worst: ${worst})`,
        };
      });
    }
    case 'metric_threshold': {
      const breaches = (sample: MetricSample) => (condition.operator === 'above' ? sample.value > condition.threshold : sample.value < condition.threshold);
      const series = await readings.metricSeries(tenant, condition.metric, isoBefore(now, condition.duration_seconds));
      // Held for the whole duration: the value in force as the window began breached, and so did every sample since.
      return series
        .filter(({ before, samples }) => before !== null && breaches(before) && samples.every(breaches))
        .map(({ instance, before, samples }) => ({
          subject: subjectOf(instance),
          message: `${condition.metric} on ${describe(instance)} has been ${condition.operator} ${condition.threshold} for ${condition.duration_seconds} s (now ${(samples.at(-1) ?? before)?.value})`,
        }));
    }
  }
};
