import { instanceUnhealthyRule } from './instance-unhealthy.js';
import type { AlertRule } from './rule.js';
import { taskFailureRateRule } from './task-failure-rate.js';

/**
 * Every alert rule Bosun runs, each fresh (rules remember what they have seen). A new rule
 * (drift severity, metric thresholds) is one more entry here: it sees every event and
 * signals raises and resolves of its own alerts; nothing else changes.
 */
export const alertRules = (): AlertRule[] => [instanceUnhealthyRule(), taskFailureRateRule()];
