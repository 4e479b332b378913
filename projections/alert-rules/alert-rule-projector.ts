import { streamViewProjector } from '../stream-view-projector.js';
import { evolveAlertRuleView, type AlertRuleView } from './alert-rule-view.js';

const alertRules = streamViewProjector<AlertRuleView>({
  name: 'alert_rules',
  category: 'alert_rule',
  indexes: [
    ['tenant', 'status'],
    ['tenant', 'kind'],
  ],
  evolve: evolveAlertRuleView,
});

export const alertRuleProjector = alertRules.projector;
export const alertRuleCollection = alertRules.collection;
