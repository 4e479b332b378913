import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { changeTeamPolicy, readTeamPolicy, type TeamPolicy } from '../../commands/team-policy.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { teamPolicyBody } from '../drift-schemas.js';
import { allow } from '../permissions.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';

export type TeamPolicyRoutesDeps = { readonly commands: CommandHandlerDeps; readonly consistent: Middleware };

const validatePolicy = validator<TeamPolicy>(teamPolicyBody);

const presentPolicy = (policy: TeamPolicy, written: { revision: number; position: number | null }) => ({
  object: 'team_policy' as const,
  drift_auto_approve_max_severity: policy.drift_auto_approve_max_severity,
  auto_provision: policy.auto_provision ?? null,
  public_skill_catalog: policy.public_skill_catalog ?? false,
  public_badges: policy.public_badges ?? false,
  allow_private_webhook_targets: policy.allow_private_webhook_targets ?? false,
  ...written,
});

/** The team's policy: read by anyone in the team, changed by its admins. */
export const teamPolicyRoutes = (router: Router<BosunState>, deps: TeamPolicyRoutesDeps): void => {
  router.get('/team/policy', allow('GET /api/v1/team/policy'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const { revision, ...policy } = await readTeamPolicy(deps.commands, tenant);
    ctx.body = presentPolicy(policy, { revision, position: null });
  });

  // PUT replaces the policy with the one given: repeating it changes nothing, so it needs no Idempotency-Key.
  router.put('/team/policy', allow('PUT /api/v1/team/policy'), async (ctx) => {
    const policy = validatePolicy(ctx.request.body);
    const result = await changeTeamPolicy(deps.commands, commandContextOf(ctx), policy);
    ctx.body = presentPolicy(policy, { revision: result.revision, position: result.position === 0 ? null : result.position });
  });
};
