import { assertNever } from '../shared/decider.js';
import type { SkillEvent, SkillVersionBody } from './events.js';

export type SkillVersionState = SkillVersionBody & { readonly deprecated: boolean };

export type SkillState =
  { readonly status: 'none' } | { readonly status: 'published'; readonly name: string; readonly versions: ReadonlyMap<string, SkillVersionState> };

export const initialSkillState = (): SkillState => ({ status: 'none' });

export const evolveSkill = (state: SkillState, event: SkillEvent): SkillState => {
  switch (event.type) {
    case 'skill.published':
      return { status: 'published', name: event.data.name, versions: new Map() };
    case 'skill.version_published': {
      if (state.status === 'none') return state;
      const { version, ...body } = event.data;
      return { ...state, versions: new Map(state.versions).set(version, { ...body, deprecated: false }) };
    }
    case 'skill.version_deprecated': {
      const current = state.status === 'none' ? undefined : state.versions.get(event.data.version);
      if (state.status === 'none' || !current) return state;
      return { ...state, versions: new Map(state.versions).set(event.data.version, { ...current, deprecated: true }) };
    }
    default:
      return assertNever(event);
  }
};
