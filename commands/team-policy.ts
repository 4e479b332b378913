import { replay } from '../domain/shared/decider.js';
import { NotFoundError } from '../domain/shared/errors.js';
import type { AutoApproveLevel } from '../domain/drift/plan.js';
import { teamDecider, type TeamEvent } from '../domain/team/index.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, toDomainEvent, type CommandHandlerDeps } from './handle-command.js';
import { teamStream } from './teams.js';

export type TeamPolicy = { readonly drift_auto_approve_max_severity: AutoApproveLevel };

/** Read from the team's stream itself: the policy decides approvals, so it is never stale. */
export const readTeamPolicy = async (deps: CommandHandlerDeps, tenant: string): Promise<TeamPolicy & { revision: number }> => {
  const history = await deps.store.readStream(teamStream(tenant));
  const state = replay(teamDecider, history.map((event) => toDomainEvent<TeamEvent>(event)));
  if (state.status === 'none') throw new NotFoundError('team');
  return { drift_auto_approve_max_severity: state.driftAutoApproveMaxSeverity, revision: history.at(-1)?.revision ?? -1 };
};

export const changeTeamPolicy = (deps: CommandHandlerDeps, ctx: CommandContext, policy: TeamPolicy) =>
  handleCommand(deps, teamDecider, teamStream(ctx.tenant), { type: 'ChangePolicy', driftAutoApproveMaxSeverity: policy.drift_auto_approve_max_severity }, ctx);
