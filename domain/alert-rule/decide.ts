import { isDeepStrictEqual } from 'node:util';
import { assertNever, type Decider } from '../shared/decider.js';
import { NotFoundError, RuleViolationError } from '../shared/errors.js';
import type { AlertRuleCommand } from './commands.js';
import type { AlertRuleEvent } from './events.js';
import { evolveAlertRule, initialAlertRuleState, type AlertRuleState } from './state.js';

export const decideAlertRule = (command: AlertRuleCommand, state: AlertRuleState): AlertRuleEvent[] => {
  if (command.type === 'CreateAlertRule') {
    if (state.status !== 'none') {
      if (command.builtIn !== null) return [];
      throw new RuleViolationError('already_exists', 'an alert rule with this id exists already');
    }
    const { name, condition, severity, channels } = command.definition;
    return [{ type: 'alert_rule.created', data: { rule_id: command.ruleId, name, condition, severity, channels, built_in: command.builtIn } }];
  }
  if (state.status === 'none' || state.status === 'deleted' || state.definition === null) throw new NotFoundError('alert rule');
  switch (command.type) {
    case 'UpdateAlertRule': {
      const definition = { ...state.definition, ...command.changes };
      return isDeepStrictEqual(definition, state.definition) ? [] : [{ type: 'alert_rule.updated', data: definition }];
    }
    // Enabling an enabled rule (or disabling a disabled one) asks for what is already so.
    case 'EnableAlertRule':
      return state.status === 'enabled' ? [] : [{ type: 'alert_rule.enabled', data: {} }];
    case 'DisableAlertRule':
      return state.status === 'disabled' ? [] : [{ type: 'alert_rule.disabled', data: {} }];
    case 'DeleteAlertRule':
      return [{ type: 'alert_rule.deleted', data: {} }];
    default:
      return assertNever(command);
  }
};

export const alertRuleDecider: Decider<AlertRuleCommand, AlertRuleEvent, AlertRuleState> = {
  decide: decideAlertRule,
  evolve: evolveAlertRule,
  initialState: initialAlertRuleState,
};
