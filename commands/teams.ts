import { teamDecider, type NewApiKey, type Role } from '../domain/team/index.js';
import type { EventStore } from '../events/event-store.js';
import { teamStream } from '../events/streams.js';
import { ensureDefaultAlertRules } from './alert-rules.js';
import type { CommandContext, CommandEnvironment } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';
import { generateSecret, hashSecret } from './secrets.js';

/** The secret is returned to the caller once and never stored. */
export type IssuedKey = { readonly keyId: string; readonly key: string; readonly role: Role; readonly name: string; readonly expiresAt: string | null };

const newKey = (env: CommandEnvironment, name: string, role: Role, expiresAt: string | null, key = generateSecret('bsn')) => {
  const command: NewApiKey = { keyId: env.newId(), name, role, keyHash: hashSecret(key), keyPrefix: key.slice(0, 8), expiresAt };
  return { command, issued: { keyId: command.keyId, key, role, name, expiresAt } satisfies IssuedKey };
};

/** RFC 3339 times are compared as text in the read models: each is stored in one form, UTC with milliseconds. */
const utc = (time: string): string => new Date(time).toISOString();

export const issueApiKey = async (deps: CommandHandlerDeps, ctx: CommandContext, request: { name: string; role: Role; expiresAt?: string | null }) => {
  const { command, issued } = newKey(deps.env, request.name, request.role, request.expiresAt == null ? null : utc(request.expiresAt));
  const at = deps.env.now().toISOString();
  const result = await handleCommand(deps, teamDecider, teamStream(ctx.tenant), { type: 'IssueApiKey', at, ...command }, ctx);
  return { ...result, issued };
};

/** How long a rotated-out secret keeps working unless the caller says otherwise. */
export const defaultRotationGraceSeconds = 24 * 60 * 60;

/** A new secret for the key, shown once; the previous one works for `graceSeconds` more (0: it stops at once). */
export const rotateApiKey = async (deps: CommandHandlerDeps, ctx: CommandContext, keyId: string, graceSeconds = defaultRotationGraceSeconds) => {
  const key = generateSecret('bsn');
  const now = deps.env.now();
  const previousValidUntil = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const result = await handleCommand(
    deps,
    teamDecider,
    teamStream(ctx.tenant),
    { type: 'RotateApiKey', keyId, keyHash: hashSecret(key), keyPrefix: key.slice(0, 8), at: now.toISOString(), previousValidUntil },
    ctx,
  );
  return { ...result, key, previousValidUntil };
};

export const renameApiKey = (deps: CommandHandlerDeps, ctx: CommandContext, keyId: string, name: string) =>
  handleCommand(deps, teamDecider, teamStream(ctx.tenant), { type: 'RenameApiKey', keyId, name }, ctx);

export const deleteApiKey = (deps: CommandHandlerDeps, ctx: CommandContext, keyId: string) =>
  handleCommand(deps, teamDecider, teamStream(ctx.tenant), { type: 'DeleteApiKey', keyId }, ctx);

/** Renames team `teamId`, which need not be the caller's (system admins rename any team): the event goes to that team's stream. */
export const renameTeam = (deps: CommandHandlerDeps, ctx: CommandContext, teamId: string, name: string) =>
  handleCommand(deps, teamDecider, teamStream(teamId), { type: 'RenameTeam', name }, { ...ctx, tenant: teamId });

/** Creates a team with its first admin key (`adminKey` when given, else a fresh one), and its default alert rules. */
export const createTeam = async (deps: CommandHandlerDeps, ctx: CommandContext, request: { name: string; system: boolean; adminKey?: string }) => {
  const teamId = deps.env.newId();
  const { command, issued } = newKey(deps.env, 'admin', 'admin', null, request.adminKey);
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
