import { defaultAutoApproveLevel, type AutoApproveLevel } from '../drift/plan.js';
import { assertNever } from '../shared/decider.js';
import type { AutoProvision, TeamEvent } from './events.js';

export type TeamState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active';
      readonly teamId: string;
      /** The team's keys by id; a deleted key is gone from it (its id is never issued again). */
      readonly keys: ReadonlyMap<string, KeyState>;
      /** Every key id ever issued, deleted ones included. */
      readonly issuedKeyIds: ReadonlySet<string>;
      /** Drifts at most this severe have their remediation approved automatically. */
      readonly driftAutoApproveMaxSeverity: AutoApproveLevel;
      /** Off until changed. */
      readonly autoProvision: AutoProvision | null;
      /** What callers without a key may read; nothing until changed. */
      readonly publicSkillCatalog: boolean;
      readonly publicBadges: boolean;
      /** Off until changed: webhooks reach public addresses only. */
      readonly allowPrivateWebhookTargets: boolean;
    };

export type KeyState = {
  readonly revoked: boolean;
  /** The hash of its current secret: a rotation names the one it replaces. */
  readonly keyHash: string;
  readonly expiresAt: string | null;
};

export const initialTeamState = (): TeamState => ({ status: 'none' });

export const evolveTeam = (state: TeamState, event: TeamEvent): TeamState => {
  switch (event.type) {
    case 'team.created':
      return {
        status: 'active',
        teamId: event.data.team_id,
        keys: new Map(),
        issuedKeyIds: new Set(),
        driftAutoApproveMaxSeverity: defaultAutoApproveLevel,
        autoProvision: null,
        publicSkillCatalog: false,
        publicBadges: false,
        allowPrivateWebhookTargets: false,
      };
    case 'team.api_key_issued':
      if (state.status === 'none') return state;
      return {
        ...state,
        keys: new Map(state.keys).set(event.data.key_id, { revoked: false, keyHash: event.data.key_hash, expiresAt: event.data.expires_at }),
        issuedKeyIds: new Set(state.issuedKeyIds).add(event.data.key_id),
      };
    case 'team.api_key_revoked':
      return withKey(state, event.data.key_id, (key) => ({ ...key, revoked: true }));
    case 'team.api_key_rotated':
      return withKey(state, event.data.key_id, (key) => ({ ...key, keyHash: event.data.key_hash }));
    case 'team.api_key_deleted': {
      if (state.status === 'none') return state;
      const keys = new Map(state.keys);
      keys.delete(event.data.key_id);
      return { ...state, keys };
    }
    case 'team.api_key_renamed':
    case 'team.renamed':
      // Names are not needed to decide anything.
      return state;
    case 'team.policy_changed':
      if (state.status === 'none') return state;
      return { ...state, driftAutoApproveMaxSeverity: event.data.drift_auto_approve_max_severity };
    case 'team.provisioning_policy_changed':
      if (state.status === 'none') return state;
      return { ...state, autoProvision: event.data.auto_provision };
    case 'team.publication_policy_changed':
      if (state.status === 'none') return state;
      return { ...state, publicSkillCatalog: event.data.public_skill_catalog, publicBadges: event.data.public_badges };
    case 'team.webhook_policy_changed':
      if (state.status === 'none') return state;
      return { ...state, allowPrivateWebhookTargets: event.data.allow_private_targets };
    default:
      return assertNever(event);
  }
};

const withKey = (state: TeamState, keyId: string, change: (key: KeyState) => KeyState): TeamState => {
  if (state.status === 'none') return state;
  const key = state.keys.get(keyId);
  return key ? { ...state, keys: new Map(state.keys).set(keyId, change(key)) } : state;
};
