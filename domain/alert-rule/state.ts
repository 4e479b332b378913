import { assertNever } from '../shared/decider.js';
import type { AlertRuleDefinition, AlertRuleEvent } from './events.js';

export type AlertRuleStatus = 'none' | 'enabled' | 'disabled' | 'deleted';

export type AlertRuleState = { readonly status: AlertRuleStatus; readonly definition: AlertRuleDefinition | null };

export const initialAlertRuleState = (): AlertRuleState => ({ status: 'none', definition: null });

export const evolveAlertRule = (state: AlertRuleState, event: AlertRuleEvent): AlertRuleState => {
  switch (event.type) {
    case 'alert_rule.created': {
      const { name, condition, severity, channels } = event.data;
      return { status: 'enabled', definition: { name, condition, severity, channels } };
    }
    case 'alert_rule.updated':
      return { ...state, definition: event.data };
    case 'alert_rule.enabled':
      return { ...state, status: 'enabled' };
    case 'alert_rule.disabled':
      return { ...state, status: 'disabled' };
    case 'alert_rule.deleted':
      return { ...state, status: 'deleted' };
    default:
      return assertNever(event);
  }
};
