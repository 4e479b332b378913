import { teamDecider, type NewApiKey, type Role } from '../domain/team/index.js';
import type { EventStore } from '../events/event-store.js';
import { teamStream } from '../events/streams.js';
import { ensureDefaultAlertRules } from './alert-rules.js';
import type { CommandContext, CommandEnvironment } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';
import { generateSecret, hashSecret } from './secrets.js';

/** The secret is returned to the caller once and never stored. */
export type IssuedKey = { readonly keyId: string; readonly key: string; readonly role: Role; readonly name: string };

const newKey = (env: CommandEnvironment, name: string, role: Role, key = generateSecret('bsn')) => {
  const command: NewApiKey = { keyId: env.newId(), name, role, keyHash: hashSecret(key), keyPrefix: key.slice(0, 8) };
  return { command, issued: { keyId: command.keyId, key, role, name } satisfies IssuedKey };
};

export const issueApiKey = async (deps: CommandHandlerDeps, ctx: CommandContext, request: { name: string; role: Role }) => {
  const { command, issued } = newKey(deps.env, request.name, request.role);
  const result = await handleCommand(deps, teamDecider, teamStream(ctx.tenant), { type: 'IssueApiKey', ...command }, ctx);
  return { ...result, issued };
};

/** Creates a team with its first admin key (`adminKey` when given, else a fresh one), and its default alert rules. */
export const createTeam = async (deps: CommandHandlerDeps, ctx: CommandContext, request: { name: string; system: boolean; adminKey?: string }) => {
  const teamId = deps.env.newId();
  const { command, issued } = newKey(deps.env, 'admin', 'admin', request.adminKey);
  const result = await handleCommand(
    deps,
    teamDecider,
    teamStream(teamId),
    { type: 'CreateTeam', teamId, name: request.name, system: request.system, adminKey: command },
    { ...ctx, tenant: teamId },
    { newStream: true },
  );
  // The team starts with its default alert rules; were Bosun to stop in between, the rules evaluator ensures them at its start.
  await ensureDefaultAlertRules(deps, { ...ctx, tenant: teamId });
  return { ...result, teamId, issued };
};

export const revokeApiKey = (deps: CommandHandlerDeps, ctx: CommandContext, keyId: string) =>
  handleCommand(deps, teamDecider, teamStream(ctx.tenant), { type: 'RevokeApiKey', keyId }, ctx);

/** The system team is created at first start: its team.created event is among the first of the log. */
export const systemTeamOf = async (events: EventStore): Promise<string | null> => {
  for (let after = 0; ;) {
    const page = await events.readAll({ after, maxCount: 1000 });
    const created = page.find((event) => event.type === 'team.created' && (event.data as { system?: boolean }).system === true);
    if (created) return (created.data as { team_id: string }).team_id;
    const last = page.at(-1);
    if (!last) return null;
    after = last.position;
  }
};
