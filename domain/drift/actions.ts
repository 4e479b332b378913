import { DomainError } from '../shared/errors.js';
import type { DriftCommand } from './commands.js';
import { decideDrift } from './decide.js';
import type { DriftState } from './state.js';

/** What operators may do to a drift through the API. */
export const operatorDriftActions = ['approve', 'execute', 'dismiss'] as const;
export type OperatorDriftAction = (typeof operatorDriftActions)[number];

export const driftCommandFor = (action: OperatorDriftAction, driftId: string, reason = ''): DriftCommand => {
  switch (action) {
    case 'approve':
      return { type: 'ApproveRemediation', driftId, automatic: false };
    case 'execute':
      return { type: 'ExecuteRemediation', driftId };
    case 'dismiss':
      return { type: 'DismissDrift', driftId, reason };
  }
};

/** The actions the open drift allows now, as the decider itself judges them. */
export const driftActionsAllowed = (state: DriftState): OperatorDriftAction[] => {
  const driftId = state.drift?.driftId;
  if (driftId === undefined) return [];
  return operatorDriftActions.filter((action) => {
    try {
      decideDrift(driftCommandFor(action, driftId), state);
      return true;
    } catch (error) {
      if (error instanceof DomainError) return false;
      throw error;
    }
  });
};
