import type { AutoApproveLevel } from '../domain/drift/plan.js';
import { replay } from '../domain/shared/decider.js';
import { NotFoundError } from '../domain/shared/errors.js';
import { teamDecider, type AutoProvision, type TeamEvent } from '../domain/team/index.js';
import { teamStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, toDomainEvent, type CommandHandlerDeps } from './handle-command.js';

export type TeamPolicy = {
  readonly drift_auto_approve_max_severity: AutoApproveLevel;
  /** Absent in a request: off, as PUT replaces the whole policy. */
  readonly auto_provision?: AutoProvision | null;
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
    revision: history.at(-1)?.revision ?? -1,
  };
};

/** Each part of the policy is its own fact; an unchanged part records nothing. */
export const changeTeamPolicy = async (deps: CommandHandlerDeps, ctx: CommandContext, policy: TeamPolicy) => {
  const drift = await handleCommand(
    deps,
    teamDecider,
    teamStream(ctx.tenant),
    { type: 'ChangePolicy', driftAutoApproveMaxSeverity: policy.drift_auto_approve_max_severity },
    ctx,
  );
  const provisioning = await handleCommand(
    deps,
    teamDecider,
    teamStream(ctx.tenant),
    { type: 'ChangeProvisioningPolicy', autoProvision: policy.auto_provision ?? null },
    ctx,
  );
  return { revision: provisioning.revision, position: Math.max(drift.position, provisioning.position) };
};
