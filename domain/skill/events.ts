import type { DomainEvent } from '../shared/decider.js';

/** What a version is, fixed once published: publishing it again must say the same. */
export type SkillVersionBody = {
  readonly description: string;
  readonly category: string;
  readonly tags: readonly string[];
  /** A JSON Schema (2020-12) that an install's parameters must match. */
  readonly parameters_schema: Record<string, unknown>;
};

/** The team's catalog has a skill of this name (its first version follows in the same command). */
export type SkillPublished = DomainEvent<'skill.published', { name: string }>;
/** A version of the skill, immutable from now on. */
export type SkillVersionPublished = DomainEvent<'skill.version_published', SkillVersionBody & { version: string }>;
/** The version stays readable and installed where it is, but is no longer chosen for a range nor installed anew. */
export type SkillVersionDeprecated = DomainEvent<'skill.version_deprecated', { version: string; reason: string }>;

export type SkillEvent = SkillPublished | SkillVersionPublished | SkillVersionDeprecated;

export const skillEventTypes: readonly SkillEvent['type'][] = ['skill.published', 'skill.version_published', 'skill.version_deprecated'];
