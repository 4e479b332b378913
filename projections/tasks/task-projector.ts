import { streamViewProjector } from '../stream-view-projector.js';
import { evolveTaskView, type TaskView } from './task-view.js';

const tasks = streamViewProjector<TaskView>({
  name: 'tasks',
  category: 'task',
  indexes: [
    ['tenant', 'status'],
    ['tenant', 'kind'],
    ['tenant', 'instance_id', 'status'],
    ['tenant', 'created_at'],
    ['tenant', 'rerun_of'],
  ],
  evolve: evolveTaskView,
});

export const taskProjector = tasks.projector;
export const taskCollection = tasks.collection;
