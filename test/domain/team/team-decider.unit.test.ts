import t from 'tap';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../../../domain/shared/errors.js';
import { roleAtLeast, teamDecider, type NewApiKey, type TeamEvent } from '../../../domain/team/index.js';
import { spec } from '../decider-specification.js';

const team = spec(teamDecider);
const hash = 'a'.repeat(64);
const adminKey: NewApiKey = { keyId: 'k-admin', name: 'admin', role: 'admin', keyHash: hash, keyPrefix: 'bsn_abcd', expiresAt: null };
const at = '2026-12-06T10:00:00.000Z';
const created: TeamEvent = { type: 'team.created', data: { team_id: 'team-1', name: 'ops', system: false } };
const adminIssued: TeamEvent = {
  type: 'team.api_key_issued',
  data: { key_id: 'k-admin', name: 'admin', role: 'admin', key_hash: hash, key_prefix: 'bsn_abcd', expires_at: null },
};
const viewerIssued: TeamEvent = { type: 'team.api_key_issued', data: { ...adminIssued.data, key_id: 'k-viewer', name: 'dash', role: 'viewer' } } as TeamEvent;

t.test(
  'given nothing, when a team is created, then it is born with its admin key in one append',
  team.given([]).when({ type: 'CreateTeam', teamId: 'team-1', name: 'ops', system: false, adminKey }).then([created, adminIssued]),
);

t.test(
  'given nothing, when a team is created with a non-admin first key, then it is refused',
  team
    .given([])
    .when({ type: 'CreateTeam', teamId: 'team-1', name: 'ops', system: false, adminKey: { ...adminKey, role: 'viewer' } })
    .thenThrows(RuleViolationError, /admin/),
);

t.test(
  'given a team, when it is created again, then it is refused',
  team
    .given([created, adminIssued])
    .when({ type: 'CreateTeam', teamId: 'team-1', name: 'ops', system: false, adminKey })
    .thenThrows(IllegalTransitionError, /active/),
);

t.test(
  'given a team, when a key is issued, then it is recorded by hash',
  team
    .given([created, adminIssued])
    .when({ type: 'IssueApiKey', at, keyId: 'k-viewer', name: 'dash', role: 'viewer', keyHash: hash, keyPrefix: 'bsn_abcd', expiresAt: null })
    .then([viewerIssued]),
);

t.test(
  'given a team, when a key id is issued twice, then it is refused',
  team
    .given([created, adminIssued])
    .when({ type: 'IssueApiKey', at, ...adminKey })
    .thenThrows(RuleViolationError, /already exists/),
);

t.test(
  'given no team, when a key is issued, then the team is not found',
  team
    .given([])
    .when({ type: 'IssueApiKey', at, ...adminKey })
    .thenThrows(NotFoundError, /team/),
);

t.test('given a key, when it is revoked, then it is revoked once', async (t) => {
  await team
    .given([created, adminIssued, viewerIssued])
    .when({ type: 'RevokeApiKey', keyId: 'k-viewer' })
    .then([{ type: 'team.api_key_revoked', data: { key_id: 'k-viewer' } }])(t);
  await team
    .given([created, adminIssued, viewerIssued, { type: 'team.api_key_revoked', data: { key_id: 'k-viewer' } }])
    .when({ type: 'RevokeApiKey', keyId: 'k-viewer' })
    .thenThrows(
      IllegalTransitionError,
      /revoked/,
    )(t);
});

t.test(
  'given a team, when an unknown key is revoked, then it is not found',
  team
    .given([created, adminIssued])
    .when({ type: 'RevokeApiKey', keyId: 'nope' })
    .thenThrows(NotFoundError, /api key/),
);

t.test('roles are ordered viewer < developer < operator < admin', async (t) => {
  t.ok(roleAtLeast('admin', 'operator'));
  t.ok(roleAtLeast('developer', 'developer'));
  t.notOk(roleAtLeast('viewer', 'developer'));
  t.notOk(roleAtLeast('operator', 'admin'));
});

t.test('drift policy: low until changed; a change is recorded once', async (t) => {
  const raised: TeamEvent = { type: 'team.policy_changed', data: { drift_auto_approve_max_severity: 'high' } };
  await team.given([created, adminIssued]).when({ type: 'ChangePolicy', driftAutoApproveMaxSeverity: 'low' }).then([])(t);
  await team.given([created, adminIssued]).when({ type: 'ChangePolicy', driftAutoApproveMaxSeverity: 'high' }).then([raised])(t);
  await team.given([created, adminIssued, raised]).when({ type: 'ChangePolicy', driftAutoApproveMaxSeverity: 'high' }).then([])(t);
  await team.given([]).when({ type: 'ChangePolicy', driftAutoApproveMaxSeverity: 'none' }).thenThrows(NotFoundError, /team/)(t);
});

t.test('provisioning policy: off until changed; a change is recorded once; max_instances must be positive', async (t) => {
  const local = { provider: 'local', max_instances: 2 };
  const turnedOn: TeamEvent = { type: 'team.provisioning_policy_changed', data: { auto_provision: local } };
  await team.given([created, adminIssued]).when({ type: 'ChangeProvisioningPolicy', autoProvision: null }).then([])(t);
  await team.given([created, adminIssued]).when({ type: 'ChangeProvisioningPolicy', autoProvision: local }).then([turnedOn])(t);
  await team
    .given([created, adminIssued, turnedOn])
    .when({ type: 'ChangeProvisioningPolicy', autoProvision: { ...local } })
    .then([])(t);
  await team
    .given([created, adminIssued, turnedOn])
    .when({ type: 'ChangeProvisioningPolicy', autoProvision: null })
    .then([{ type: 'team.provisioning_policy_changed', data: { auto_provision: null } }])(t);
  await team
    .given([created, adminIssued])
    .when({ type: 'ChangeProvisioningPolicy', autoProvision: { provider: 'local', max_instances: 0 } })
    .thenThrows(RuleViolationError, { code: 'invalid_policy', field: 'auto_provision.max_instances' })(t);
});

t.test('publication and webhook policies: nothing public and no private webhook targets until changed; a change is recorded once', async (t) => {
  const published: TeamEvent = { type: 'team.publication_policy_changed', data: { public_skill_catalog: true, public_badges: false } };
  await team.given([created, adminIssued]).when({ type: 'ChangePublicationPolicy', publicSkillCatalog: false, publicBadges: false }).then([])(t);
  await team.given([created, adminIssued]).when({ type: 'ChangePublicationPolicy', publicSkillCatalog: true, publicBadges: false }).then([published])(t);
  await team.given([created, adminIssued, published]).when({ type: 'ChangePublicationPolicy', publicSkillCatalog: true, publicBadges: false }).then([])(t);
  await team
    .given([created, adminIssued, published])
    .when({ type: 'ChangePublicationPolicy', publicSkillCatalog: true, publicBadges: true })
    .then([{ type: 'team.publication_policy_changed', data: { public_skill_catalog: true, public_badges: true } }])(t);

  const opened: TeamEvent = { type: 'team.webhook_policy_changed', data: { allow_private_targets: true } };
  await team.given([created, adminIssued]).when({ type: 'ChangeWebhookPolicy', allowPrivateTargets: false }).then([])(t);
  await team.given([created, adminIssued]).when({ type: 'ChangeWebhookPolicy', allowPrivateTargets: true }).then([opened])(t);
  await team.given([created, adminIssued, opened]).when({ type: 'ChangeWebhookPolicy', allowPrivateTargets: true }).then([])(t);
  await team.given([]).when({ type: 'ChangeWebhookPolicy', allowPrivateTargets: true }).thenThrows(NotFoundError, /team/)(t);
});

const newHash = 'b'.repeat(64);
const rotate = (previousValidUntil: string) =>
  ({ type: 'RotateApiKey', keyId: 'k-viewer', keyHash: newHash, keyPrefix: 'bsn_efgh', at, previousValidUntil }) as const;
const rotated = (previousHash: string, previousValidUntil: string): TeamEvent => ({
  type: 'team.api_key_rotated',
  data: { key_id: 'k-viewer', key_hash: newHash, key_prefix: 'bsn_efgh', previous_key_hash: previousHash, previous_valid_until: previousValidUntil },
});
const revoked: TeamEvent = { type: 'team.api_key_revoked', data: { key_id: 'k-viewer' } };
const deleted: TeamEvent = { type: 'team.api_key_deleted', data: { key_id: 'k-viewer' } };

t.test('expiry: a key may be issued to expire later, never already expired', async (t) => {
  const later = '2026-12-07T10:00:00.000Z';
  await team
    .given([created, adminIssued])
    .when({ type: 'IssueApiKey', at, keyId: 'k-viewer', name: 'dash', role: 'viewer', keyHash: hash, keyPrefix: 'bsn_abcd', expiresAt: later })
    .then([{ type: 'team.api_key_issued', data: { ...(viewerIssued.data as object), expires_at: later } } as TeamEvent])(t);
  for (const expiresAt of [at, '2026-12-06T09:59:59.999Z']) {
    await team
      .given([created, adminIssued])
      .when({ type: 'IssueApiKey', at, keyId: 'k-viewer', name: 'dash', role: 'viewer', keyHash: hash, keyPrefix: 'bsn_abcd', expiresAt })
      .thenThrows(RuleViolationError, { code: 'invalid_expiry', field: 'expires_at' })(t);
  }
});

t.test('rotation: the new secret replaces the current one, which works until the grace period ends', async (t) => {
  const graceEnd = '2026-12-07T10:00:00.000Z';
  await team
    .given([created, adminIssued, viewerIssued])
    .when(rotate(graceEnd))
    .then([rotated(hash, graceEnd)])(t);
  // Grace 0: the previous secret stops at the rotation itself.
  await team
    .given([created, adminIssued, viewerIssued])
    .when(rotate(at))
    .then([rotated(hash, at)])(t);
  // A second rotation replaces the secret the first one issued.
  const third = { ...rotate(at), keyHash: 'c'.repeat(64) };
  await team
    .given([created, adminIssued, viewerIssued, rotated(hash, at)])
    .when(third)
    .then([{ type: 'team.api_key_rotated', data: { ...(rotated(newHash, at).data as object), key_hash: 'c'.repeat(64) } } as TeamEvent])(t);
});

t.test('rotation is refused for a grace period ending before the rotation, and for revoked, deleted, expired or unknown keys', async (t) => {
  await team
    .given([created, adminIssued, viewerIssued])
    .when(rotate('2026-12-06T09:00:00.000Z'))
    .thenThrows(RuleViolationError, { code: 'invalid_grace', field: 'grace_seconds' })(t);
  await team
    .given([created, adminIssued, viewerIssued, revoked])
    .when(rotate(at))
    .thenThrows(
      IllegalTransitionError,
      /revoked/,
    )(t);
  await team
    .given([created, adminIssued, viewerIssued, deleted])
    .when(rotate(at))
    .thenThrows(
      NotFoundError,
      /api key/,
    )(t);
  const expiring = { type: 'team.api_key_issued', data: { ...(viewerIssued.data as object), expires_at: at } } as TeamEvent;
  await team
    .given([created, adminIssued, expiring])
    .when(rotate(at))
    .thenThrows(
      IllegalTransitionError,
      /expired/,
    )(t);
  await team
    .given([created, adminIssued])
    .when(rotate(at))
    .thenThrows(
      NotFoundError,
      /api key/,
    )(t);
});

t.test('rename: a key keeps its secret and role under a new name; a deleted key cannot be renamed', async (t) => {
  await team
    .given([created, adminIssued, viewerIssued])
    .when({ type: 'RenameApiKey', keyId: 'k-viewer', name: 'grafana' })
    .then([{ type: 'team.api_key_renamed', data: { key_id: 'k-viewer', name: 'grafana' } }])(t);
  await team
    .given([created, adminIssued, viewerIssued, deleted])
    .when({ type: 'RenameApiKey', keyId: 'k-viewer', name: 'grafana' })
    .thenThrows(
      NotFoundError,
      /api key/,
    )(t);
  await team
    .given([created, adminIssued])
    .when({ type: 'RenameTeam', name: 'platform' })
    .then([{ type: 'team.renamed', data: { name: 'platform' } }])(t);
  await team.given([]).when({ type: 'RenameTeam', name: 'platform' }).thenThrows(NotFoundError, /team/)(t);
});

t.test('delete: once, revoked or not; its id is never issued again', async (t) => {
  await team.given([created, adminIssued, viewerIssued]).when({ type: 'DeleteApiKey', keyId: 'k-viewer' }).then([deleted])(t);
  await team.given([created, adminIssued, viewerIssued, revoked]).when({ type: 'DeleteApiKey', keyId: 'k-viewer' }).then([deleted])(t);
  await team
    .given([created, adminIssued, viewerIssued, deleted])
    .when({ type: 'DeleteApiKey', keyId: 'k-viewer' })
    .thenThrows(
      NotFoundError,
      /api key/,
    )(t);
  await team
    .given([created, adminIssued, viewerIssued, deleted])
    .when({ type: 'RevokeApiKey', keyId: 'k-viewer' })
    .thenThrows(
      NotFoundError,
      /api key/,
    )(t);
  await team
    .given([created, adminIssued, viewerIssued, deleted])
    .when({ type: 'IssueApiKey', at, keyId: 'k-viewer', name: 'dash', role: 'viewer', keyHash: hash, keyPrefix: 'bsn_abcd', expiresAt: null })
    .thenThrows(
      RuleViolationError,
      /already exists/,
    )(t);
});
