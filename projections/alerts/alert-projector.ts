import { streamViewProjector } from '../stream-view-projector.js';
import { evolveAlertView, type AlertView } from './alert-view.js';

const alerts = streamViewProjector<AlertView>({
  name: 'alerts',
  category: 'alert',
  indexes: [
    ['tenant', 'status'],
    ['tenant', 'severity', 'status'],
    ['tenant', 'rule'],
    ['tenant', 'rule_id', 'subject_id'],
    ['tenant', 'subject_id'],
  ],
  evolve: evolveAlertView,
});

export const alertProjector = alerts.projector;
export const alertCollection = alerts.collection;
