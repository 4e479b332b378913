import type { Decider } from '../shared/decider.js';
import type { AuditCommand } from './commands.js';
import type { AuditEvent } from './events.js';

/** Each window's refusals go to a stream of their own: nothing to decide on but to record them. */
export const auditDecider: Decider<AuditCommand, AuditEvent, null> = {
  initialState: () => null,
  evolve: (state) => state,
  decide: (command) => command.refusals.map((data) => ({ type: 'audit.access_refused', data })),
};
