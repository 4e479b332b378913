import t from 'tap';
import { ConflictError, NotFoundError } from '../../../domain/shared/errors.js';
import { skillDecider, type SkillCommand, type SkillEvent, type SkillVersionBody } from '../../../domain/skill/index.js';
import { spec } from '../decider-specification.js';

const skill = spec(skillDecider);

const body: SkillVersionBody = {
  description: 'Runs git',
  category: 'vcs',
  tags: ['git', 'scm'],
  parameters_schema: { type: 'object', properties: { depth: { type: 'integer' } } },
};
const publish = (version: string, with_: SkillVersionBody = body): SkillCommand => ({ type: 'PublishSkillVersion', name: 'git', version, body: with_ });
const published: SkillEvent = { type: 'skill.published', data: { name: 'git' } };
const versionPublished = (version: string, with_: SkillVersionBody = body): SkillEvent => ({ type: 'skill.version_published', data: { version, ...with_ } });

t.test(
  'given nothing, when a version is published, then the skill and its version are',
  skill
    .given([])
    .when(publish('1.0.0'))
    .then([published, versionPublished('1.0.0')]),
);

t.test(
  'given a published skill, when another version is published, then only that version is',
  skill
    .given([published, versionPublished('1.0.0')])
    .when(publish('1.1.0'))
    .then([versionPublished('1.1.0')]),
);

t.test('given a published version, when it is published again with the same body (keys in another order), then nothing is recorded', async (t) => {
  const reordered: SkillVersionBody = {
    parameters_schema: { properties: { depth: { type: 'integer' } }, type: 'object' },
    tags: ['git', 'scm'],
    category: 'vcs',
    description: 'Runs git',
  };
  await skill
    .given([published, versionPublished('1.0.0')])
    .when(publish('1.0.0', reordered))
    .then([])(t);
});

t.test('given a published version, when it is published again with another body, then it is refused: versions are immutable', async (t) => {
  for (const changed of [
    { ...body, description: 'Runs git, faster' },
    { ...body, tags: ['scm', 'git'] },
    { ...body, parameters_schema: { type: 'object' } },
  ]) {
    await skill
      .given([published, versionPublished('1.0.0')])
      .when(publish('1.0.0', changed))
      .thenThrows(ConflictError, { code: 'version_exists', message: /version 1\.0\.0 of skill git is published with another body/ })(t);
  }
});

t.test('given a published version, when deprecated, then it is, once', async (t) => {
  const deprecate: SkillCommand = { type: 'DeprecateSkillVersion', version: '1.0.0', reason: 'CVE-2026-1' };
  const deprecated: SkillEvent = { type: 'skill.version_deprecated', data: { version: '1.0.0', reason: 'CVE-2026-1' } };
  await skill
    .given([published, versionPublished('1.0.0')])
    .when(deprecate)
    .then([deprecated])(t);
  await skill
    .given([published, versionPublished('1.0.0'), deprecated])
    .when(deprecate)
    .then([])(t);
});

t.test('a version never published cannot be deprecated', async (t) => {
  const deprecate: SkillCommand = { type: 'DeprecateSkillVersion', version: '2.0.0', reason: 'old' };
  await skill
    .given([])
    .when(deprecate)
    .thenThrows(
      NotFoundError,
      /skill version does not exist/,
    )(t);
  await skill
    .given([published, versionPublished('1.0.0')])
    .when(deprecate)
    .thenThrows(NotFoundError)(t);
});
