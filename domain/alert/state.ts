import { assertNever } from '../shared/decider.js';
import type { AlertEvent, AlertStatus } from './events.js';

/** `open -> acknowledged -> resolved`, or `open -> resolved`. */
export type AlertState = { readonly status: 'none' | AlertStatus };

export const initialAlertState = (): AlertState => ({ status: 'none' });

export const evolveAlert = (state: AlertState, event: AlertEvent): AlertState => {
  switch (event.type) {
    case 'alert.raised':
      return { status: 'open' };
    case 'alert.acknowledged':
      return state.status === 'none' ? state : { status: 'acknowledged' };
    case 'alert.resolved':
      return state.status === 'none' ? state : { status: 'resolved' };
    default:
      return assertNever(event);
  }
};
