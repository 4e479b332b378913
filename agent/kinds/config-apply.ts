import { isApiError } from '../client.js';
import { updateAgentConfig } from '../configuration.js';
import { applyRemediation, parseRemediationActions, type RemediationAction, type RequestedAction } from '../remediation.js';
import { inputObject, invalidInput, requireString } from '../task-failure.js';
import type { TaskContext, TaskKind } from '../task-kinds.js';

/** Settings named without a value get the desired one from Bosun; the task input never holds a secret. */
const withValues = (actions: readonly RequestedAction[], { desiredSetting }: TaskContext): Promise<RemediationAction[]> =>
  Promise.all(
    actions.map(async (action) => {
      if (action.action !== 'set_setting' || 'value' in action) return action as RemediationAction;
      try {
        return { action: 'set_setting', name: action.name, value: await desiredSetting(action.name) };
      } catch (error) {
        if (isApiError(error, 404)) throw invalidInput(`the desired spec has no setting "${action.name}"`);
        throw error;
      }
    }),
  );

/** Changes `agent-config.json` as the plan says; the next heartbeat reports the result. */
export const configApply: TaskKind = async (input, context) => {
  const fields = inputObject(input);
  requireString(fields, 'remediation_id');
  const actions = await withValues(parseRemediationActions(fields.actions), context);
  return updateAgentConfig(context.dir, (config) => {
    const { config: remediated, applied, escalated } = applyRemediation(config, actions);
    return { config: remediated, result: { applied, escalated } };
  });
};
