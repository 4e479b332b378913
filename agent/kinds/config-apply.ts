import { updateAgentConfig } from '../configuration.js';
import { applyRemediation, parseRemediationActions } from '../remediation.js';
import type { TaskKind } from '../task-kinds.js';
import { inputObject, requireString } from '../task-failure.js';

/** Changes `agent-config.json` as the plan says; the next heartbeat reports the result. */
export const configApply: TaskKind = async (input, { dir }) => {
  const fields = inputObject(input);
  requireString(fields, 'remediation_id');
  const actions = parseRemediationActions(fields.actions);
  return updateAgentConfig(dir, (config) => {
    const { config: remediated, applied, escalated } = applyRemediation(config, actions);
    return { config: remediated, result: { applied, escalated } };
  });
};
