import type { SkillVersionBody } from './events.js';

/** `version` is a valid semver (checked where semver is parsed, before the domain). */
export type PublishSkillVersion = { readonly type: 'PublishSkillVersion'; readonly name: string; readonly version: string; readonly body: SkillVersionBody };
export type DeprecateSkillVersion = { readonly type: 'DeprecateSkillVersion'; readonly version: string; readonly reason: string };

export type SkillCommand = PublishSkillVersion | DeprecateSkillVersion;
