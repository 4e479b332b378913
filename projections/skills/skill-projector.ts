import { streamViewProjector } from '../stream-view-projector.js';
import { evolveSkillView, type SkillView } from './skill-view.js';

const skills = streamViewProjector<SkillView>({
  name: 'skills',
  category: 'skill',
  indexes: [
    ['tenant', 'name'],
    ['tenant', 'category', 'name'],
  ],
  evolve: evolveSkillView,
});

export const skillProjector = skills.projector;
export const skillCollection = skills.collection;
