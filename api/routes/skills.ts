import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import { deprecateSkillVersion, installSkill, publishSkillVersion, readSkill, removeSkill, resolveSkillVersion } from '../../commands/skills.js';
import { readTeamPolicy } from '../../commands/team-policy.js';
import { NotFoundError } from '../../domain/shared/errors.js';
import { skillStream } from '../../events/streams.js';
import type { ReadStore } from '../../projections/read-store.js';
import { getSkill, listSkills, type SkillFilter } from '../../projections/skills/skill-queries.js';
import { evolveSkillView, type SkillView } from '../../projections/skills/skill-view.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { ApiError } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { listBody, sortedPageFromQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { presentInstance } from '../presenters.js';
import { afterWrite, asOf, foldWith, present } from '../resource-views.js';
import { deprecateSkillVersionBody, installSkillBody, listSkillsQuery, publishSkillBody, skillNamePattern } from '../skill-schemas.js';
import type { BosunState } from '../state.js';
import { clientSchemaValidator, validator } from '../validation.js';
import { appendedBy, instanceViews } from './instance-views.js';

export type SkillRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
};

type PublishRequest = {
  name: string;
  version: string;
  description?: string;
  category: string;
  tags?: string[];
  parameters_schema: Record<string, unknown>;
};
type InstallRequest = { name: string; version: string; parameters?: Record<string, unknown> };

const validatePublish = validator<PublishRequest>(publishSkillBody);
const validateListQuery = validator<SkillFilter>(listSkillsQuery);
const validateDeprecate = validator<{ reason: string }>(deprecateSkillVersionBody);
const validateInstall = validator<InstallRequest>(installSkillBody);

const foldSkill = foldWith(evolveSkillView);

export const presentSkill = ({ search_text: _search, ...skill }: SkillView) => present('skill', skill);

const presentVersion = (skill: SkillView, version: SkillView['versions'][number]) => ({ object: 'skill_version' as const, name: skill.name, ...version });

const byName = { field: 'name', order: 'asc' } as const;

const missingSkill = (name: string) => new ApiError('not_found_error', 'resource_missing', `no skill named ${name}`);

/** A skill name in a path: what is not a name cannot be one of the team's skills. */
const nameParam = (ctx: Context): string => {
  const name = String(ctx.params.name ?? '');
  if (!skillNamePattern.test(name) || name.length > 100) throw missingSkill(name);
  return name;
};

/** A page of the team's skills by name, filtered as the query says. */
const listPage = async (deps: SkillRoutesDeps, ctx: Context, tenant: string) => {
  const filter = validateListQuery({ ...ctx.query });
  const page = sortedPageFromQuery(ctx, [byName.field], byName);
  const skills = await listSkills(deps.readStore, tenant, { q: filter.q, category: filter.category, tag: filter.tag }, { ...page, limit: page.limit + 1 });
  ctx.body = listBody(skills, page, presentSkill);
};

const readSkillView = async (deps: SkillRoutesDeps, tenant: string, name: string): Promise<SkillView> => {
  const skill = await getSkill(deps.readStore, tenant, name);
  if (!skill) throw missingSkill(name);
  return skill;
};

/** Where the drift the spec change leads to shows up, and is approved or executed. */
const remediationLink = (instanceId: string) => `/api/v1/drift-events?instance_id=${encodeURIComponent(instanceId)}`;

/**
 * The team's skill catalog: published and deprecated by developers, read by the team, and by
 * anyone when the team's policy makes the catalog public; installed on and removed from
 * instances by operators, as changes of their desired spec.
 */
export const skillRoutes = (router: Router<BosunState>, deps: SkillRoutesDeps): void => {
  const events = deps.commands.store;
  const instances = instanceViews(deps);

  const answerSkill = async (ctx: Context, stream: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream'>, name: string) => {
    const view = await afterWrite(events, stream, result, foldSkill, { resource: 'skill', id: name });
    ctx.body = presentSkill(view);
    ctx.state.appended = { stream, revision: view.revision, position: view.position, occurredAt: view.updated_at } satisfies Appended;
  };

  const replaySkill =
    (status: number): Replay =>
    async (ctx, record) => {
      ctx.status = status;
      ctx.body = presentSkill(await asOf(events, record.stream, record.revision, foldSkill, { resource: 'skill', id: record.stream }));
    };

  router.post('/skills', allow('POST /api/v1/skills'), deps.idempotent(replaySkill(201)), async (ctx) => {
    const request = validatePublish(ctx.request.body);
    clientSchemaValidator(request.parameters_schema, 'parameters_schema', 'parameters');
    const body = { description: request.description ?? '', category: request.category, tags: request.tags ?? [], parameters_schema: request.parameters_schema };
    const context = commandContextOf(ctx);
    const result = await publishSkillVersion(deps.commands, context, request.name, request.version, body);
    ctx.status = 201;
    ctx.set('Location', `/api/v1/skills/${request.name}/versions/${request.version}`);
    await answerSkill(ctx, skillStream(context.tenant, request.name), result, request.name);
  });

  /** As `:id`s are: a skill of another team is missing before any role or body is looked at (404 before 403). */
  const ownSkill: Middleware = async (ctx, next) => {
    const name = nameParam(ctx);
    if ((await events.readStream(skillStream(principalOf(ctx).tenant, name), { maxCount: 1 })).length === 0) throw missingSkill(name);
    return next();
  };

  router.post(
    '/skills/:name/versions/:version/deprecate',
    ownSkill,
    allow('POST /api/v1/skills/:name/versions/:version/deprecate'),
    deps.idempotent(replaySkill(200)),
    async (ctx) => {
      const name = nameParam(ctx);
      const { reason } = validateDeprecate(ctx.request.body);
      const context = commandContextOf(ctx);
      const result = await deprecateSkillVersion(deps.commands, context, name, String(ctx.params.version), reason);
      await answerSkill(ctx, skillStream(context.tenant, name), result, name);
    },
  );

  router.get('/skills', allow('GET /api/v1/skills'), deps.consistent, async (ctx) => listPage(deps, ctx, principalOf(ctx).tenant));

  router.get('/skills/:name', allow('GET /api/v1/skills/:name'), deps.consistent, async (ctx) => {
    ctx.body = presentSkill(await readSkillView(deps, principalOf(ctx).tenant, nameParam(ctx)));
  });

  router.get('/skills/:name/versions/:version', allow('GET /api/v1/skills/:name/versions/:version'), deps.consistent, async (ctx) => {
    const skill = await readSkillView(deps, principalOf(ctx).tenant, nameParam(ctx));
    const version = skill.versions.find((candidate) => candidate.version === ctx.params.version);
    if (!version) throw new ApiError('not_found_error', 'resource_missing', `skill ${skill.name} has no version ${String(ctx.params.version)}`);
    ctx.body = presentVersion(skill, version);
  });

  const answerInstance = async (ctx: Context, instanceId: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream'>) => {
    const view = await instances.after(instanceId, result);
    ctx.body = { ...presentInstance(view), links: { remediation: remediationLink(instanceId) } };
    ctx.state.appended = appendedBy(view);
  };

  const replayInstance: Replay = async (ctx, record) => {
    const view = await instances.asOf(resourceId(ctx), record.revision);
    ctx.body = { ...presentInstance(view), links: { remediation: remediationLink(view.id) } };
  };

  router.post('/instances/:id/skills', allow('POST /api/v1/instances/:id/skills'), deps.idempotent(replayInstance), async (ctx) => {
    const request = validateInstall(ctx.request.body);
    const context = commandContextOf(ctx);
    const skill = await readSkill(deps.commands, context.tenant, request.name);
    if (!skill) throw new ApiError('invalid_request_error', 'skill_missing', `the team's catalog has no skill named ${request.name}`, { param: 'name' });
    const version = resolveSkillVersion(skill, request.version);
    const parameters = request.parameters ?? {};
    const schema = skill.versions.get(version)?.parameters_schema ?? {};
    clientSchemaValidator(schema, 'parameters_schema', 'parameters')(parameters);
    const instanceId = resourceId(ctx);
    await answerInstance(ctx, instanceId, await installSkill(deps.commands, context, instanceId, { name: skill.name, version, parameters }));
  });

  router.delete('/instances/:id/skills/:name', allow('DELETE /api/v1/instances/:id/skills/:name'), async (ctx) => {
    const instanceId = resourceId(ctx);
    await answerInstance(ctx, instanceId, await removeSkill(deps.commands, commandContextOf(ctx), instanceId, nameParam(ctx)));
  });
};

/** Whether the team opted in; a team that did not, or does not exist, is answered alike. */
const publicCatalogOf = async (deps: Pick<SkillRoutesDeps, 'commands'>, teamId: string): Promise<string> => {
  const closed = new ApiError('not_found_error', 'resource_missing', `no public skill catalog for team ${teamId}`);
  try {
    if ((await readTeamPolicy(deps.commands, teamId)).public_skill_catalog === true) return teamId;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  throw closed;
};

/** The catalog without a key, for teams whose policy says `public_skill_catalog`: registered before authentication. */
export const publicSkillRoutes = (router: Router<BosunState>, deps: SkillRoutesDeps): void => {
  router.get('/public/teams/:team_id/skills', allow('GET /api/v1/public/teams/:team_id/skills'), deps.consistent, async (ctx) => {
    await listPage(deps, ctx, await publicCatalogOf(deps, String(ctx.params.team_id)));
  });

  router.get('/public/teams/:team_id/skills/:name', allow('GET /api/v1/public/teams/:team_id/skills/:name'), deps.consistent, async (ctx) => {
    ctx.body = presentSkill(await readSkillView(deps, await publicCatalogOf(deps, String(ctx.params.team_id)), nameParam(ctx)));
  });
};
