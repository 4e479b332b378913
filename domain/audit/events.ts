import type { DomainEvent } from '../shared/decider.js';

/** Why a request was refused before it could act: its status and error code. */
export const refusalReasons = ['missing_api_key', 'malformed_authorization', 'invalid_api_key', 'expired_api_key', 'insufficient_role', 'not_found'] as const;
export type RefusalReason = (typeof refusalReasons)[number];

/**
 * Requests refused alike from one source within one window, counted. `key_id` is the
 * caller's key when it was valid (403, 404), never what an unauthenticated caller
 * presented. An entry with `folded: true` counts the requests of sources beyond the
 * window's cap: its `route`, `method`, `key_id` and `client_ip` are null.
 */
export type AccessRefusedData = {
  readonly status: 401 | 403 | 404;
  readonly reason: RefusalReason;
  readonly method: string | null;
  readonly route: string | null;
  readonly key_id: string | null;
  readonly client_ip: string | null;
  readonly user_agent: string | null;
  readonly first_request_id: string | null;
  readonly count: number;
  readonly first_at: string;
  readonly last_at: string;
  readonly folded: boolean;
};

export type AccessRefused = DomainEvent<'audit.access_refused', AccessRefusedData>;
export type AuditEvent = AccessRefused;

export const auditEventTypes: readonly AuditEvent['type'][] = ['audit.access_refused'];
