/** Remediation actions (docs/agent-api.md) applied to the actual configuration. Pure. */
import { configuredSettings, configuredSkills, type AgentConfig } from './configuration.js';
import { inputObject, invalidInput, requireString } from './task-failure.js';

export type RemediationAction =
  | { readonly action: 'install_skill'; readonly name: string; readonly version: string }
  | { readonly action: 'configure_skill'; readonly name: string; readonly parameters: Readonly<Record<string, unknown>> }
  | { readonly action: 'disable_skill'; readonly name: string }
  | { readonly action: 'set_runtime_version'; readonly version: string }
  | { readonly action: 'set_setting'; readonly name: string; readonly value: unknown }
  | { readonly action: 'escalate'; readonly reason: string };

/** An action as a task states it: `set_setting` may leave its value out (secret ones do), for the agent to ask Bosun for. */
export type RequestedAction =
  Exclude<RemediationAction, { action: 'set_setting' }> | { readonly action: 'set_setting'; readonly name: string; readonly value?: unknown };

const parseAction = (raw: unknown, index: number): RequestedAction => {
  const fields = inputObject(raw);
  const field = (name: string) => {
    try {
      return requireString(fields, name);
    } catch {
      throw invalidInput(`actions[${index}].${name} must be a string`);
    }
  };
  switch (fields.action) {
    case 'install_skill':
      return { action: 'install_skill', name: field('name'), version: field('version') };
    case 'configure_skill': {
      const parameters = fields.parameters;
      if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
        throw invalidInput(`actions[${index}].parameters must be an object`);
      }
      return { action: 'configure_skill', name: field('name'), parameters: parameters as Record<string, unknown> };
    }
    case 'disable_skill':
      return { action: 'disable_skill', name: field('name') };
    case 'set_runtime_version':
      return { action: 'set_runtime_version', version: field('version') };
    case 'set_setting':
      return 'value' in fields ? { action: 'set_setting', name: field('name'), value: fields.value } : { action: 'set_setting', name: field('name') };
    case 'escalate':
      return { action: 'escalate', reason: field('reason') };
    default:
      throw invalidInput(`actions[${index}].action ${JSON.stringify(fields.action)} is not a remediation action`);
  }
};

/** Every action checked before any is applied: a plan applies whole or not at all. */
export const parseRemediationActions = (raw: unknown): RequestedAction[] => {
  if (!Array.isArray(raw)) throw invalidInput('actions must be an array');
  return raw.map(parseAction);
};

export type Remediated = { readonly config: AgentConfig; readonly applied: number; readonly escalated: string[] };

/** Escalations change nothing; their reasons are handed back for Bosun to report. */
export const applyRemediation = (config: AgentConfig, actions: readonly RemediationAction[]): Remediated => {
  let skills = configuredSkills(config);
  let settings = configuredSettings(config);
  let runtimeVersion = config.runtime_version;
  const escalated: string[] = [];
  for (const action of actions) {
    switch (action.action) {
      case 'install_skill': {
        // Another version keeps the parameters: configuring the skill is an action of its own.
        skills = skills.some((skill) => skill.name === action.name)
          ? skills.map((skill) => (skill.name === action.name ? { ...skill, version: action.version, enabled: true } : skill))
          : [...skills, { name: action.name, version: action.version, enabled: true }];
        break;
      }
      case 'configure_skill':
        // The plan installs a skill before configuring it; parameters of a skill the file does not list have nothing to apply to.
        skills = skills.map((skill) => (skill.name === action.name ? { ...skill, parameters: action.parameters } : skill));
        break;
      case 'disable_skill':
        skills = skills.map((skill) => (skill.name === action.name ? { ...skill, enabled: false } : skill));
        break;
      case 'set_runtime_version':
        runtimeVersion = action.version;
        break;
      case 'set_setting':
        settings = { ...settings, [action.name]: action.value };
        break;
      case 'escalate':
        escalated.push(action.reason);
        break;
    }
  }
  return {
    config: { ...config, runtime_version: runtimeVersion, skills, settings },
    applied: actions.length - escalated.length,
    escalated,
  };
};
