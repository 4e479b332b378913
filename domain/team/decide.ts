import { assertNever, type Decider } from '../shared/decider.js';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../shared/errors.js';
import type { NewApiKey, TeamCommand } from './commands.js';
import type { ApiKeyIssued, TeamEvent } from './events.js';
import { evolveTeam, initialTeamState, type TeamState } from './state.js';

const keyIssued = (key: NewApiKey): ApiKeyIssued => ({
  type: 'team.api_key_issued',
  data: { key_id: key.keyId, name: key.name, role: key.role, key_hash: key.keyHash, key_prefix: key.keyPrefix, expires_at: key.expiresAt },
});

/** A key of the team that still exists; `action` names what is refused on a revoked one. */
const liveKey = (state: Extract<TeamState, { status: 'active' }>, keyId: string, action: string | null) => {
  const key = state.keys.get(keyId);
  if (!key) throw new NotFoundError('api key');
  if (action !== null && key.revoked) throw new IllegalTransitionError('api key', 'revoked', action);
  return key;
};

export const decideTeam = (command: TeamCommand, state: TeamState): TeamEvent[] => {
  if (command.type === 'CreateTeam') {
    if (state.status !== 'none') throw new IllegalTransitionError('team', state.status, 'create');
    if (command.adminKey.role !== 'admin') {
      throw new RuleViolationError('invalid_role', 'the first key of a team must be an admin key', 'role');
    }
    return [{ type: 'team.created', data: { team_id: command.teamId, name: command.name, system: command.system } }, keyIssued(command.adminKey)];
  }
  if (state.status === 'none') throw new NotFoundError('team');
  switch (command.type) {
    case 'IssueApiKey': {
      if (state.issuedKeyIds.has(command.keyId)) {
        throw new RuleViolationError('duplicate_key', `api key ${command.keyId} already exists`);
      }
      if (command.expiresAt !== null && Date.parse(command.expiresAt) <= Date.parse(command.at)) {
        throw new RuleViolationError('invalid_expiry', `expires_at must be in the future (it is ${command.expiresAt})`, 'expires_at');
      }
      const { type: _type, at: _at, ...key } = command;
      return [keyIssued(key)];
    }
    case 'RevokeApiKey':
      liveKey(state, command.keyId, 'revoke');
      return [{ type: 'team.api_key_revoked', data: { key_id: command.keyId } }];
    case 'RenameApiKey':
      liveKey(state, command.keyId, null);
      return [{ type: 'team.api_key_renamed', data: { key_id: command.keyId, name: command.name } }];
    case 'DeleteApiKey':
      liveKey(state, command.keyId, null);
      return [{ type: 'team.api_key_deleted', data: { key_id: command.keyId } }];
    case 'RotateApiKey': {
      const key = liveKey(state, command.keyId, 'rotate');
      if (key.expiresAt !== null && Date.parse(key.expiresAt) <= Date.parse(command.at)) throw new IllegalTransitionError('api key', 'expired', 'rotate');
      if (Date.parse(command.previousValidUntil) < Date.parse(command.at)) {
        throw new RuleViolationError('invalid_grace', 'the previous secret cannot stop working before the rotation', 'grace_seconds');
      }
      return [
        {
          type: 'team.api_key_rotated',
          data: {
            key_id: command.keyId,
            key_hash: command.keyHash,
            key_prefix: command.keyPrefix,
            previous_key_hash: key.keyHash,
            previous_valid_until: command.previousValidUntil,
          },
        },
      ];
    }
    case 'RenameTeam':
      return [{ type: 'team.renamed', data: { name: command.name } }];
    case 'ChangePolicy':
      if (state.driftAutoApproveMaxSeverity === command.driftAutoApproveMaxSeverity) return [];
      return [{ type: 'team.policy_changed', data: { drift_auto_approve_max_severity: command.driftAutoApproveMaxSeverity } }];
    case 'ChangeProvisioningPolicy': {
      const next = command.autoProvision;
      if (next !== null && !(Number.isInteger(next.max_instances) && next.max_instances >= 1)) {
        throw new RuleViolationError('invalid_policy', 'auto_provision.max_instances must be a positive whole number', 'auto_provision.max_instances');
      }
      const current = state.autoProvision;
      if (current?.provider === next?.provider && current?.max_instances === next?.max_instances) return [];
      return [
        {
          type: 'team.provisioning_policy_changed',
          data: { auto_provision: next === null ? null : { provider: next.provider, max_instances: next.max_instances } },
        },
      ];
    }
    case 'ChangePublicationPolicy':
      if (state.publicSkillCatalog === command.publicSkillCatalog && state.publicBadges === command.publicBadges) return [];
      return [{ type: 'team.publication_policy_changed', data: { public_skill_catalog: command.publicSkillCatalog, public_badges: command.publicBadges } }];
    case 'ChangeWebhookPolicy':
      if (state.allowPrivateWebhookTargets === command.allowPrivateTargets) return [];
      return [{ type: 'team.webhook_policy_changed', data: { allow_private_targets: command.allowPrivateTargets } }];
    default:
      return assertNever(command);
  }
};

export const teamDecider: Decider<TeamCommand, TeamEvent, TeamState> = {
  decide: decideTeam,
  evolve: evolveTeam,
  initialState: initialTeamState,
};
