import { defaultAutoApproveLevel, type AutoApproveLevel } from '../drift/plan.js';
import { assertNever } from '../shared/decider.js';
import type { AutoProvision, TeamEvent } from './events.js';

export type TeamState =
  | { readonly status: 'none' }
  | {
      readonly status: 'active';
      readonly teamId: string;
      /** Key id -> whether it is still valid. */
      readonly keys: ReadonlyMap<string, { readonly revoked: boolean }>;
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

export const initialTeamState = (): TeamState => ({ status: 'none' });

export const evolveTeam = (state: TeamState, event: TeamEvent): TeamState => {
  switch (event.type) {
    case 'team.created':
      return {
        status: 'active',
        teamId: event.data.team_id,
        keys: new Map(),
        driftAutoApproveMaxSeverity: defaultAutoApproveLevel,
        autoProvision: null,
        publicSkillCatalog: false,
        publicBadges: false,
        allowPrivateWebhookTargets: false,
      };
    case 'team.api_key_issued':
      if (state.status === 'none') return state;
      return { ...state, keys: new Map(state.keys).set(event.data.key_id, { revoked: false }) };
    case 'team.api_key_revoked':
      if (state.status === 'none') return state;
      return { ...state, keys: new Map(state.keys).set(event.data.key_id, { revoked: true }) };
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
