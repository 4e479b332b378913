import type { Actor } from '../events/event-store.js';

/** Who issues a command and why: becomes the metadata of every event it causes. */
export type CommandContext = {
  readonly tenant: string;
  readonly actor: Actor;
  readonly requestId: string | null;
  /** Ties together everything one user intent caused; defaults to the request id. */
  readonly correlationId: string;
  /** The event or request that directly caused this command. */
  readonly causationId: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
  readonly idempotency?: { readonly key: string; readonly requestHash: string };
  /**
   * The revision the caller last saw of the stream the command is for (HTTP If-Match): the
   * command is refused if the stream has moved on since, and never retried.
   */
  readonly expectedRevision?: number;
};

/**
 * A command Bosun itself issues, not answering a request: a process (`heartbeat-monitor`,
 * `alert-rules`, `bootstrap`, `cli`) or a workflow acting for a team, caused by `cause`
 * (an event id) when it reacts to one.
 */
export const internalContext = (options: {
  readonly tenant: string;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId?: string | null;
  readonly userAgent?: string | null;
}): CommandContext => ({
  tenant: options.tenant,
  actor: options.actor,
  requestId: null,
  correlationId: options.correlationId,
  causationId: options.causationId ?? null,
  clientIp: null,
  userAgent: options.userAgent ?? null,
});

/** Sources of time and identity, injected so tests can fix them. */
export type CommandEnvironment = {
  readonly now: () => Date;
  readonly newId: () => string;
};
