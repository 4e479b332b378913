import type { AlertRuleDefinition } from './events.js';

/**
 * `builtIn` names a default rule every team gets; creating one that exists (or existed)
 * records nothing, so ensuring the defaults is idempotent and a deleted default stays deleted.
 */
export type CreateAlertRule = {
  readonly type: 'CreateAlertRule';
  readonly ruleId: string;
  readonly definition: AlertRuleDefinition;
  readonly builtIn: string | null;
};
/** Changes what is given; a new condition replaces the old one whole. */
export type UpdateAlertRule = { readonly type: 'UpdateAlertRule'; readonly changes: Partial<AlertRuleDefinition> };
export type EnableAlertRule = { readonly type: 'EnableAlertRule' };
export type DisableAlertRule = { readonly type: 'DisableAlertRule' };
export type DeleteAlertRule = { readonly type: 'DeleteAlertRule' };

export type AlertRuleCommand = CreateAlertRule | UpdateAlertRule | EnableAlertRule | DisableAlertRule | DeleteAlertRule;
