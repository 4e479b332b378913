import t from 'tap';
import type { SkillEvent } from '../../domain/skill/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { evolveSkillView, type SkillView } from '../../projections/skills/skill-view.js';
import { testMetadata } from '../events/event-metadata.js';

const stream = 'skill-team-a.git';
const recorded = (events: readonly SkillEvent[]): RecordedEvent[] =>
  events.map((event, revision) => ({
    id: `e-${revision}`,
    stream,
    revision,
    position: 100 + revision,
    tenant: 'team-a',
    type: event.type,
    data: event.data,
    metadata: testMetadata(),
  }));
const version = (number: string, description = `git ${number}`): SkillEvent => ({
  type: 'skill.version_published',
  data: { version: number, description, category: 'vcs', tags: [number], parameters_schema: { type: 'object' } },
});
const fold = (events: readonly SkillEvent[]) => recorded(events).reduce<SkillView | null>(evolveSkillView, null);

t.test('versions are ordered by semver precedence, not as text; the latest is the newest release (not pre-release) not deprecated', async (t) => {
  const view = fold([{ type: 'skill.published', data: { name: 'git' } }, version('1.9.0'), version('1.10.0'), version('2.0.0-rc.1'), version('1.10.1')]);
  t.same(
    view?.versions.map((v) => v.version),
    ['2.0.0-rc.1', '1.10.1', '1.10.0', '1.9.0'],
  );
  t.match(view, {
    id: 'team-a.git',
    name: 'git',
    latest_version: '1.10.1',
    description: 'git 1.10.1',
    tags: ['1.10.1'],
    revision: 4,
    search_text: 'git\ngit 1.10.1',
  });

  const deprecated = fold([
    { type: 'skill.published', data: { name: 'git' } },
    version('1.9.0'),
    version('1.10.0'),
    { type: 'skill.version_deprecated', data: { version: '1.10.0', reason: 'broken' } },
  ]);
  t.match(deprecated, {
    latest_version: '1.9.0',
    description: 'git 1.9.0',
    versions: [{ version: '1.10.0', deprecated: true, deprecation_reason: 'broken' }, { deprecated: false }],
  });

  const allDeprecated = fold([
    { type: 'skill.published', data: { name: 'git' } },
    version('1.0.0'),
    { type: 'skill.version_deprecated', data: { version: '1.0.0', reason: 'old' } },
  ]);
  t.equal(allDeprecated?.latest_version, '1.0.0', 'the newest of all when every version is deprecated');
  const onlyPreReleases = fold([{ type: 'skill.published', data: { name: 'git' } }, version('1.0.0-beta.1'), version('1.0.0-beta.2')]);
  t.equal(onlyPreReleases?.latest_version, '1.0.0-beta.2', 'a pre-release when there is no release');
});
