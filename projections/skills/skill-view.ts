import semver from 'semver';
import { assertNever } from '../../domain/shared/decider.js';
import type { SkillEvent } from '../../domain/skill/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { ReadDocument } from '../read-store.js';

export type SkillVersionView = {
  readonly version: string;
  readonly description: string;
  readonly category: string;
  readonly tags: readonly string[];
  readonly parameters_schema: Record<string, unknown>;
  readonly deprecated: boolean;
  readonly deprecation_reason: string | null;
  readonly published_at: string;
};

/**
 * A skill of a team's catalog (id `<team id>.<name>`). Its description, category and tags
 * are those of its latest version, so lists filter and search on what an install of the
 * newest gets.
 */
export type SkillView = ReadDocument & {
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly tags: readonly string[];
  /** The newest release not deprecated (a pre-release only when there is none); the newest of all when every version is deprecated. */
  readonly latest_version: string;
  /** Newest first, by semver precedence. */
  readonly versions: readonly SkillVersionView[];
  /** Name and description, for `q`: the read store searches one field. */
  readonly search_text: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly position: number;
};

const withVersions = (view: SkillView, versions: SkillVersionView[]): SkillView => {
  const sorted = versions.sort((a, b) => semver.rcompare(a.version, b.version));
  const current = sorted.filter((version) => !version.deprecated);
  const latest = current.find((version) => semver.prerelease(version.version) === null) ?? current[0] ?? (sorted[0] as SkillVersionView);
  return {
    ...view,
    versions: sorted,
    latest_version: latest.version,
    description: latest.description,
    category: latest.category,
    tags: latest.tags,
    search_text: `${view.name}\n${latest.description}`,
  };
};

/** Folds one stored skill event into the view; pure, so the routes answer writes with the same fold. */
export const evolveSkillView = (view: SkillView | null, recorded: RecordedEvent): SkillView | null => {
  const event = { type: recorded.type, data: recorded.data } as SkillEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'skill.published') {
    if (view) return view;
    return {
      id: recorded.stream.slice(recorded.stream.indexOf('-') + 1),
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      name: event.data.name,
      description: '',
      category: '',
      tags: [],
      latest_version: '',
      versions: [],
      search_text: event.data.name,
      created_at: at,
      updated_at: at,
    };
  }
  if (!view) return null;
  const touched = { ...view, revision: recorded.revision, position: recorded.position, updated_at: at };
  switch (event.type) {
    case 'skill.version_published': {
      const { version, ...body } = event.data;
      return withVersions(touched, [...view.versions, { version, ...body, deprecated: false, deprecation_reason: null, published_at: at }]);
    }
    case 'skill.version_deprecated':
      return withVersions(
        touched,
        view.versions.map((version) =>
          version.version === event.data.version ? { ...version, deprecated: true, deprecation_reason: event.data.reason } : version,
        ),
      );
    default:
      return assertNever(event);
  }
};
