import type { CommandContext } from '../commands/command-context.js';
import type { AgentPrincipal } from './agent-auth.js';
import type { Principal } from './auth.js';
import type { Appended } from './idempotency.js';

/**
 * What middleware leaves in `ctx.state` for what runs after it. Each field is set by one
 * middleware; accessors (`principalOf`, `agentOf`, `resourceId`) say when one is missing.
 */
export type BosunState = {
  /** `requestId()`: every request. */
  requestId?: string;
  /** `authenticate()`: routes called with an API key. */
  principal?: Principal;
  /** `authenticateAgent()`: the agent runtime's routes. */
  agent?: AgentPrincipal;
  /** `ownedResource()`: the `:id` of a route, checked to be the caller's team's. */
  id?: string;
  /** `ownedResource()`: the `:id` named is not the caller's team's, a refusal the audit log records. */
  notOwned?: boolean;
  /** `idempotency()`: the key of a keyed write, for its events' metadata. */
  idempotency?: CommandContext['idempotency'];
  /** A read's handler: the answer holds values that change without a new revision (heartbeat metrics), so no 304. */
  live?: boolean;
  /** A keyed write's handler: what it appended, for the idempotency record. */
  appended?: Appended;
};
