import type { AutoApproveLevel } from '../domain/drift/plan.js';
import { replay } from '../domain/shared/decider.js';
import { NotFoundError } from '../domain/shared/errors.js';
import { teamDecider, type AutoProvision, type TeamCommand, type TeamEvent } from '../domain/team/index.js';
import { teamStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, toDomainEvent, type CommandHandlerDeps } from './handle-command.js';

export type TeamPolicy = {
  readonly drift_auto_approve_max_severity: AutoApproveLevel;
  /** Absent in a request: off, as PUT replaces the whole policy; so are the switches below. */
  readonly auto_provision?: AutoProvision | null;
  readonly public_skill_catalog?: boolean;
  readonly public_badges?: boolean;
  readonly allow_private_webhook_targets?: boolean;
};

/** Read from the team's stream itself: the policy decides approvals, so it is never stale. */
export const readTeamPolicy = async (deps: CommandHandlerDeps, tenant: string): Promise<TeamPolicy & { revision: number }> => {
  const history = await deps.store.readStream(teamStream(tenant));
  const state = replay(
    teamDecider,
    history.map((event) => toDomainEvent<TeamEvent>(event)),
  );
  if (state.status === 'none') throw new NotFoundError('team');
  return {
    drift_auto_approve_max_severity: state.driftAutoApproveMaxSeverity,
    auto_provision: state.autoProvision,
    public_skill_catalog: state.publicSkillCatalog,
    public_badges: state.publicBadges,
    allow_private_webhook_targets: state.allowPrivateWebhookTargets,
    revision: history.at(-1)?.revision ?? -1,
  };
};

/** Each part of the policy is its own fact; an unchanged part records nothing. */
export const changeTeamPolicy = async (deps: CommandHandlerDeps, ctx: CommandContext, policy: TeamPolicy) => {
  const parts: TeamCommand[] = [
    { type: 'ChangePolicy', driftAutoApproveMaxSeverity: policy.drift_auto_approve_max_severity },
    { type: 'ChangeProvisioningPolicy', autoProvision: policy.auto_provision ?? null },
    { type: 'ChangePublicationPolicy', publicSkillCatalog: policy.public_skill_catalog ?? false, publicBadges: policy.public_badges ?? false },
    { type: 'ChangeWebhookPolicy', allowPrivateTargets: policy.allow_private_webhook_targets ?? false },
  ];
  let written = { revision: -1, position: 0 };
  for (const command of parts) {
    const result = await handleCommand(deps, teamDecider, teamStream(ctx.tenant), command, ctx);
    written = { revision: result.revision, position: Math.max(written.position, result.position) };
  }
  return written;
};
