import type { AutoApproveLevel } from '../drift/plan.js';
import type { DomainEvent } from '../shared/decider.js';

/** The roles that change things, in increasing order of power: each may do what the one before it may. */
const ladder = ['viewer', 'developer', 'operator', 'admin'] as const;
/** The ladder, and `auditor`: off the ladder, it reads what a viewer reads, and the audit log; it changes nothing. */
export const roles = [...ladder, 'auditor'] as const;
export type Role = (typeof roles)[number];

/**
 * Whether `role` may do what `minimum` may. The audit log (`auditor`) is read by auditors
 * and admins; an auditor passes nothing else but `viewer`.
 */
export const roleAtLeast = (role: Role, minimum: Role): boolean => {
  if (minimum === 'auditor') return role === 'auditor' || role === 'admin';
  if (role === 'auditor') return minimum === 'viewer';
  return ladder.indexOf(role) >= ladder.indexOf(minimum);
};

export type TeamCreated = DomainEvent<'team.created', { team_id: string; name: string; system: boolean }>;
/** Only the key's SHA-256 hash is stored; the key itself is shown once to whoever asked. */
export type ApiKeyIssued = DomainEvent<
  'team.api_key_issued',
  { key_id: string; name: string; role: Role; key_hash: string; key_prefix: string; expires_at: string | null }
>;
export type ApiKeyRevoked = DomainEvent<'team.api_key_revoked', { key_id: string }>;
export type ApiKeyRenamed = DomainEvent<'team.api_key_renamed', { key_id: string; name: string }>;
export type ApiKeyDeleted = DomainEvent<'team.api_key_deleted', { key_id: string }>;
/** The key has a new secret (`key_hash`); the previous one works until `previous_valid_until`. */
export type ApiKeyRotated = DomainEvent<
  'team.api_key_rotated',
  { key_id: string; key_hash: string; key_prefix: string; previous_key_hash: string; previous_valid_until: string }
>;
export type TeamRenamed = DomainEvent<'team.renamed', { name: string }>;
/** Remediation plans of drifts at most this severe are approved without an operator (`none`: every plan waits for one). */
export type PolicyChanged = DomainEvent<'team.policy_changed', { drift_auto_approve_max_severity: AutoApproveLevel }>;

/** A task no instance can take may have one deployed for it: with `provider`, up to `max_instances` live instances of the team there. */
export type AutoProvision = { readonly provider: string; readonly max_instances: number };
/** `null`: tasks wait for an instance an operator deploys. */
export type ProvisioningPolicyChanged = DomainEvent<'team.provisioning_policy_changed', { auto_provision: AutoProvision | null }>;

/** What the team shows to callers without a key: its skill catalog, its instances' security badges. */
export type PublicationPolicyChanged = DomainEvent<'team.publication_policy_changed', { public_skill_catalog: boolean; public_badges: boolean }>;
/** Whether webhooks may target private, loopback and link-local addresses (off: only public ones). */
export type WebhookPolicyChanged = DomainEvent<'team.webhook_policy_changed', { allow_private_targets: boolean }>;

export type TeamEvent =
  | TeamCreated
  | TeamRenamed
  | ApiKeyIssued
  | ApiKeyRevoked
  | ApiKeyRenamed
  | ApiKeyDeleted
  | ApiKeyRotated
  | PolicyChanged
  | ProvisioningPolicyChanged
  | PublicationPolicyChanged
  | WebhookPolicyChanged;

export const teamEventTypes: readonly TeamEvent['type'][] = [
  'team.created',
  'team.api_key_issued',
  'team.api_key_revoked',
  'team.api_key_renamed',
  'team.api_key_deleted',
  'team.api_key_rotated',
  'team.renamed',
  'team.policy_changed',
  'team.provisioning_policy_changed',
  'team.publication_policy_changed',
  'team.webhook_policy_changed',
];
