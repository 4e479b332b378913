import { assertNever, type Decider } from '../shared/decider.js';
import { IllegalTransitionError, NotFoundError } from '../shared/errors.js';
import type { AlertCommand } from './commands.js';
import type { AlertEvent, AlertStatus } from './events.js';
import { evolveAlert, initialAlertState, type AlertState } from './state.js';

type OperatorCommand = Exclude<AlertCommand, { type: 'RaiseAlert' }>;

/** The one table of which command each state allows. */
const allowedFrom: Record<OperatorCommand['type'], readonly AlertStatus[]> = {
  AcknowledgeAlert: ['open'],
  ResolveAlert: ['open', 'acknowledged'],
};

const actionNames: Record<OperatorCommand['type'], string> = {
  AcknowledgeAlert: 'acknowledge',
  ResolveAlert: 'resolve',
};

export const decideAlert = (command: AlertCommand, state: AlertState): AlertEvent[] => {
  if (command.type === 'RaiseAlert') {
    // Alert ids come from what raised them: an alert that exists was raised by this very cause before.
    if (state.status !== 'none') return [];
    const { alertId, rule, ruleId, severity, subject, message } = command;
    return [{ type: 'alert.raised', data: { alert_id: alertId, rule, rule_id: ruleId, severity, subject: { type: subject.type, id: subject.id }, message } }];
  }
  if (state.status === 'none') throw new NotFoundError('alert');
  if (!allowedFrom[command.type].includes(state.status)) throw new IllegalTransitionError('alert', state.status, actionNames[command.type]);
  switch (command.type) {
    case 'AcknowledgeAlert':
      return [{ type: 'alert.acknowledged', data: {} }];
    case 'ResolveAlert':
      return [{ type: 'alert.resolved', data: { reason: command.reason } }];
    default:
      return assertNever(command);
  }
};

export const alertDecider: Decider<AlertCommand, AlertEvent, AlertState> = {
  decide: decideAlert,
  evolve: evolveAlert,
  initialState: initialAlertState,
};
