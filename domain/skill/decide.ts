import { canonical } from '../drift/compare.js';
import { assertNever, type Decider } from '../shared/decider.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import type { SkillCommand } from './commands.js';
import type { SkillEvent, SkillVersionBody } from './events.js';
import { evolveSkill, initialSkillState, type SkillState } from './state.js';

const sameBody = (a: SkillVersionBody, b: SkillVersionBody): boolean => canonical(a) === canonical(b);

export const decideSkill = (command: SkillCommand, state: SkillState): SkillEvent[] => {
  switch (command.type) {
    case 'PublishSkillVersion': {
      const published: SkillEvent = { type: 'skill.version_published', data: { version: command.version, ...command.body } };
      if (state.status === 'none') return [{ type: 'skill.published', data: { name: command.name } }, published];
      const existing = state.versions.get(command.version);
      if (!existing) return [published];
      // A retried publish is no change; anything else would rewrite what installs rely on.
      const { deprecated: _deprecated, ...body } = existing;
      if (sameBody(body, command.body)) return [];
      throw new ConflictError(
        'version_exists',
        `version ${command.version} of skill ${state.name} is published with another body; versions never change: publish a new one`,
      );
    }
    case 'DeprecateSkillVersion': {
      const version = state.status === 'none' ? undefined : state.versions.get(command.version);
      if (!version) throw new NotFoundError('skill version');
      if (version.deprecated) return [];
      return [{ type: 'skill.version_deprecated', data: { version: command.version, reason: command.reason } }];
    }
    default:
      return assertNever(command);
  }
};

export const skillDecider: Decider<SkillCommand, SkillEvent, SkillState> = {
  decide: decideSkill,
  evolve: evolveSkill,
  initialState: initialSkillState,
};
