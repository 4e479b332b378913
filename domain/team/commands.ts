import type { AutoApproveLevel } from '../drift/plan.js';
import type { AutoProvision, Role } from './events.js';

/** The caller generates the secret and hashes it; the domain never sees the key itself. */
export type NewApiKey = {
  readonly keyId: string;
  readonly name: string;
  readonly role: Role;
  readonly keyHash: string;
  readonly keyPrefix: string;
  /** When the key stops working; null: it works until revoked. */
  readonly expiresAt: string | null;
};
/** A team is born with its first admin key, in one append, so it is never unreachable. */
export type CreateTeam = {
  readonly type: 'CreateTeam';
  readonly teamId: string;
  readonly name: string;
  readonly system: boolean;
  readonly adminKey: NewApiKey;
};
/** `at`: when it is issued, which a given expiry must follow. */
export type IssueApiKey = { readonly type: 'IssueApiKey'; readonly at: string } & NewApiKey;
export type RevokeApiKey = { readonly type: 'RevokeApiKey'; readonly keyId: string };
export type RenameApiKey = { readonly type: 'RenameApiKey'; readonly keyId: string; readonly name: string };
/** The key stops working and leaves the team's list; its events stay in the log. */
export type DeleteApiKey = { readonly type: 'DeleteApiKey'; readonly keyId: string };
/**
 * A new secret for the key (hashed by the caller, like a new key's); the one it replaces
 * keeps working until `previousValidUntil` (`at` itself: it stops at once).
 */
export type RotateApiKey = {
  readonly type: 'RotateApiKey';
  readonly keyId: string;
  readonly keyHash: string;
  readonly keyPrefix: string;
  readonly at: string;
  readonly previousValidUntil: string;
};
export type RenameTeam = { readonly type: 'RenameTeam'; readonly name: string };
export type ChangePolicy = { readonly type: 'ChangePolicy'; readonly driftAutoApproveMaxSeverity: AutoApproveLevel };

export type ChangeProvisioningPolicy = { readonly type: 'ChangeProvisioningPolicy'; readonly autoProvision: AutoProvision | null };

export type ChangePublicationPolicy = { readonly type: 'ChangePublicationPolicy'; readonly publicSkillCatalog: boolean; readonly publicBadges: boolean };
export type ChangeWebhookPolicy = { readonly type: 'ChangeWebhookPolicy'; readonly allowPrivateTargets: boolean };

export type TeamCommand =
  | CreateTeam
  | IssueApiKey
  | RevokeApiKey
  | RenameApiKey
  | DeleteApiKey
  | RotateApiKey
  | RenameTeam
  | ChangePolicy
  | ChangeProvisioningPolicy
  | ChangePublicationPolicy
  | ChangeWebhookPolicy;
