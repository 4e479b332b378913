import { taskIdOfStream } from '../../commands/tasks.js';
import type { Projector } from '../projector.js';
import type { ReadStore } from '../read-store.js';
import { evolveTaskView, type TaskView } from './task-view.js';

export const taskCollection = (store: ReadStore) => store.collection<TaskView>('tasks');


export const taskProjector: Projector = {
  name: 'tasks',
  apply: async (event, store) => {
    if (!event.type.startsWith('task.')) return;
    const tasks = taskCollection(store);
    const current = await tasks.get(taskIdOfStream(event.stream));
    // Applied twice, changed once: the view already reflects this revision.
    if (current && event.revision <= current.revision) return;
    const next = evolveTaskView(current, event);
    if (next && next !== current) await tasks.put(next);
  },
};
