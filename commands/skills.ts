import semver from 'semver';
import { canonical } from '../domain/drift/compare.js';
import type { InstanceSpec } from '../domain/instance/index.js';
import { replay } from '../domain/shared/decider.js';
import { NotFoundError, RuleViolationError } from '../domain/shared/errors.js';
import { skillDecider, type SkillEvent, type SkillState, type SkillVersionBody } from '../domain/skill/index.js';
import { skillStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, toDomainEvent, type CommandHandlerDeps } from './handle-command.js';
import { changeInstanceSpec } from './instances.js';

export type PublishedSkill = Extract<SkillState, { status: 'published' }>;

/** Publishes `version` of the team's skill `name`; the skill is created with its first version. */
export const publishSkillVersion = (deps: CommandHandlerDeps, ctx: CommandContext, name: string, version: string, body: SkillVersionBody) => {
  // Only the canonical form (`1.2.0`, not `v1.2.0` or `=1.2.0`): one version, one spelling.
  if (semver.valid(version) !== version)
    throw new RuleViolationError('invalid_version', `version ${version} is not a semantic version such as 1.2.0`, 'version');
  return handleCommand(deps, skillDecider, skillStream(ctx.tenant, name), { type: 'PublishSkillVersion', name, version, body }, ctx);
};

export const deprecateSkillVersion = (deps: CommandHandlerDeps, ctx: CommandContext, name: string, version: string, reason: string) =>
  handleCommand(deps, skillDecider, skillStream(ctx.tenant, name), { type: 'DeprecateSkillVersion', version, reason }, ctx);

/** The team's skill, read from its stream (what installs decide on is never stale); null when the team has none of that name. */
export const readSkill = async (deps: Pick<CommandHandlerDeps, 'store'>, tenant: string, name: string): Promise<PublishedSkill | null> => {
  const history = await deps.store.readStream(skillStream(tenant, name));
  const state = replay(
    skillDecider,
    history.map((event) => toDomainEvent<SkillEvent>(event)),
  );
  return state.status === 'published' ? state : null;
};

/**
 * The version an install asks for: an exact version as published (refused once deprecated),
 * or a range (`^1.2`, `~1.4.0`, `>=2`) resolved to the newest version it matches that is not
 * deprecated.
 */
export const resolveSkillVersion = (skill: PublishedSkill, requested: string): string => {
  const exact = semver.valid(requested);
  if (exact !== null) {
    const version = skill.versions.get(exact);
    if (!version) throw new RuleViolationError('version_missing', `skill ${skill.name} has no version ${exact}`, 'version');
    if (version.deprecated)
      throw new RuleViolationError('version_deprecated', `version ${exact} of skill ${skill.name} is deprecated: install another`, 'version');
    return exact;
  }
  if (semver.validRange(requested) === null)
    throw new RuleViolationError('invalid_version', `version ${requested} is neither a semantic version nor a range`, 'version');
  const candidates = [...skill.versions].filter(([, version]) => !version.deprecated).map(([number]) => number);
  const newest = semver.maxSatisfying(candidates, requested);
  if (newest === null)
    throw new RuleViolationError('version_missing', `skill ${skill.name} has no version matching ${requested} that is not deprecated`, 'version');
  return newest;
};

export type SkillInstall = { readonly name: string; readonly version: string; readonly parameters: Readonly<Record<string, unknown>> };

/**
 * The desired spec with the skill at that version and those parameters (enabled); the same
 * spec object when it is already so, which records nothing.
 */
export const withSkillInstalled = (spec: InstanceSpec, install: SkillInstall): InstanceSpec => {
  const current = spec.skills.find((skill) => skill.name === install.name);
  if (current && current.version === install.version && current.enabled !== false && canonical(current.parameters ?? {}) === canonical(install.parameters)) {
    return spec;
  }
  const entry = { name: install.name, version: install.version, parameters: install.parameters };
  return { ...spec, skills: current ? spec.skills.map((skill) => (skill.name === install.name ? entry : skill)) : [...spec.skills, entry] };
};

/** The desired spec without the skill; refused when the spec does not declare it. */
export const withSkillRemoved = (spec: InstanceSpec, name: string): InstanceSpec => {
  if (!spec.skills.some((skill) => skill.name === name)) throw new NotFoundError(`skill ${name} in the spec of this instance`);
  return { ...spec, skills: spec.skills.filter((skill) => skill.name !== name) };
};

/** Installs a resolved, validated version: a change of the desired spec, which drift detection then brings the agent to. */
export const installSkill = (deps: CommandHandlerDeps, ctx: CommandContext, instanceId: string, install: SkillInstall) =>
  changeInstanceSpec(deps, ctx, instanceId, (spec) => withSkillInstalled(spec, install));

export const removeSkill = (deps: CommandHandlerDeps, ctx: CommandContext, instanceId: string, name: string) =>
  changeInstanceSpec(deps, ctx, instanceId, (spec) => withSkillRemoved(spec, name));
