import type { AutoApproveLevel } from '../drift/plan.js';
import type { AutoProvision, Role } from './events.js';

/** The caller generates the secret and hashes it; the domain never sees the key itself. */
export type NewApiKey = {
  readonly keyId: string;
  readonly name: string;
  readonly role: Role;
  readonly keyHash: string;
  readonly keyPrefix: string;
};
/** A team is born with its first admin key, in one append, so it is never unreachable. */
export type CreateTeam = {
  readonly type: 'CreateTeam';
  readonly teamId: string;
  readonly name: string;
  readonly system: boolean;
  readonly adminKey: NewApiKey;
};
export type IssueApiKey = { readonly type: 'IssueApiKey' } & NewApiKey;
export type RevokeApiKey = { readonly type: 'RevokeApiKey'; readonly keyId: string };
export type ChangePolicy = { readonly type: 'ChangePolicy'; readonly driftAutoApproveMaxSeverity: AutoApproveLevel };

export type ChangeProvisioningPolicy = { readonly type: 'ChangeProvisioningPolicy'; readonly autoProvision: AutoProvision | null };

export type ChangePublicationPolicy = { readonly type: 'ChangePublicationPolicy'; readonly publicSkillCatalog: boolean; readonly publicBadges: boolean };
export type ChangeWebhookPolicy = { readonly type: 'ChangeWebhookPolicy'; readonly allowPrivateTargets: boolean };

export type TeamCommand = CreateTeam | IssueApiKey | RevokeApiKey | ChangePolicy | ChangeProvisioningPolicy | ChangePublicationPolicy | ChangeWebhookPolicy;
