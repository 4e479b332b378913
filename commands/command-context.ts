import type { Actor } from './event-store.js';

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
};

/** Sources of time and identity, injected so tests can fix them. */
export type CommandEnvironment = {
  readonly now: () => Date;
  readonly newId: () => string;
};
