import type { Page, ReadStore } from '../read-store.js';
import { skillCollection } from './skill-projector.js';
import type { SkillView } from './skill-view.js';

/** Another team's skill of the same name is another document: a team only ever reads its own. */
export const getSkill = (store: ReadStore, tenant: string, name: string): Promise<SkillView | null> => skillCollection(store).get(`${tenant}.${name}`);

export type SkillFilter = { readonly q?: string; readonly category?: string; readonly tag?: string };

/** Sorted by name: `page.sort` is set by the caller, with its keyset `after`. */
export const listSkills = (store: ReadStore, tenant: string, filter: SkillFilter, page: Page): Promise<SkillView[]> =>
  skillCollection(store).list(
    {
      tenant,
      ...(filter.q !== undefined ? { search_text: { $contains: filter.q } } : {}),
      ...(filter.category !== undefined ? { category: filter.category } : {}),
      ...(filter.tag !== undefined ? { tags: { $has: filter.tag } } : {}),
    },
    page,
  );
