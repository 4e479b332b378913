import { severities, type DriftItem, type Severity } from './compare.js';
import type { RemediationAction } from './events.js';

/** A team's policy: plans of drifts at most this severe are approved without an operator. */
export const autoApproveLevels = ['none', 'low', 'medium', 'high'] as const;
export type AutoApproveLevel = (typeof autoApproveLevels)[number];

export const defaultAutoApproveLevel: AutoApproveLevel = 'low';

export const autoApproves = (level: AutoApproveLevel, severity: Severity): boolean =>
  level !== 'none' && severities.indexOf(severity) <= severities.indexOf(level);

const name = (item: DriftItem): string => item.path.slice(item.path.indexOf('.') + 1);

const escalation = (item: DriftItem): RemediationAction => ({
  action: 'escalate',
  reason: `${item.path}: ${item.kind} cannot be fixed by the agent (expected ${JSON.stringify(item.expected)}, reported ${JSON.stringify(item.actual)})`,
});

/**
 * What the agent does about one difference. Settings are named, never valued: the value
 * (secret or not) is taken from the desired spec when the plan runs.
 */
const actionFor = (item: DriftItem): RemediationAction => {
  switch (item.kind) {
    case 'skill_missing':
    case 'skill_version_mismatch':
      return { action: 'install_skill', name: name(item), version: String(item.expected) };
    case 'skill_parameters_mismatch':
      return { action: 'configure_skill', name: name(item), parameters: item.expected as Readonly<Record<string, unknown>> };
    case 'skill_undeclared':
    case 'skill_enabled_but_disabled':
      return { action: 'disable_skill', name: name(item) };
    case 'runtime_version_mismatch':
      return { action: 'set_runtime_version', version: String(item.expected) };
    case 'setting_missing':
    case 'setting_mismatch':
      return { action: 'set_setting', name: name(item) };
    // Resources, region and provider belong to the machine, not to the agent's configuration.
    case 'provider_mismatch':
    case 'cpus_below':
    case 'memory_below':
    case 'port_closed':
    case 'region_mismatch':
      return escalation(item);
  }
};

/** One action per difference, in the items' order. */
export const remediationPlan = (items: readonly DriftItem[]): RemediationAction[] => items.map(actionFor);

/** Whether running the plan can change anything: a plan of escalations only cannot. */
export const agentCanApply = (plan: readonly RemediationAction[]): boolean => plan.some((action) => action.action !== 'escalate');
