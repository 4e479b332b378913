import type { AlertRuleDefinition } from './events.js';

/**
 * The rules every team starts with, by built-in name: what Bosun alerted on before rules
 * were a team's to change (an instance whose agent went silent, tasks failing on one).
 */
export const defaultAlertRules: Readonly<Record<string, AlertRuleDefinition>> = {
  no_heartbeat: {
    name: 'Instance stopped sending heartbeats',
    condition: { kind: 'no_heartbeat', seconds: 60 },
    severity: 'high',
    channels: [],
  },
  task_failure_rate: {
    name: 'Tasks keep failing on an instance',
    condition: { kind: 'task_failure_rate', window_seconds: 600, min_count: 3, rate: 0.5 },
    severity: 'medium',
    channels: [],
  },
};
