import { v5 as uuidv5 } from 'uuid';
import { alertRuleDecider, defaultAlertRules, type AlertRuleCommand, type AlertRuleDefinition } from '../domain/alert-rule/index.js';
import { alertRuleStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';

/** Namespace of the ids of teams' default rules. */
const defaultRuleNamespace = '0b7f3c8e-2d1a-4c55-9e0f-6a8b4d2c1e93';

/** The id of a team's default rule: one per team and built-in name, so ensuring it twice creates it once. */
export const defaultAlertRuleId = (tenant: string, builtIn: string): string => uuidv5(`${tenant}\n${builtIn}`, defaultRuleNamespace);

export const createAlertRule = async (deps: CommandHandlerDeps, ctx: CommandContext, definition: AlertRuleDefinition) => {
  const ruleId = deps.env.newId();
  const result = await handleCommand(deps, alertRuleDecider, alertRuleStream(ruleId), { type: 'CreateAlertRule', ruleId, definition, builtIn: null }, ctx, {
    newStream: true,
  });
  return { ...result, ruleId };
};

/** Updating, enabling, disabling and deleting go through here. */
export const executeAlertRuleCommand = (
  deps: CommandHandlerDeps,
  ctx: CommandContext,
  ruleId: string,
  command: Exclude<AlertRuleCommand, { type: 'CreateAlertRule' }>,
) => handleCommand(deps, alertRuleDecider, alertRuleStream(ruleId), command, ctx);

/** Creates the team's default rules it has never had; a default the team changed, disabled or deleted is left as it is. */
export const ensureDefaultAlertRules = async (deps: CommandHandlerDeps, ctx: CommandContext): Promise<void> => {
  for (const [builtIn, definition] of Object.entries(defaultAlertRules)) {
    const ruleId = defaultAlertRuleId(ctx.tenant, builtIn);
    await handleCommand(deps, alertRuleDecider, alertRuleStream(ruleId), { type: 'CreateAlertRule', ruleId, definition, builtIn }, ctx);
  }
};
