import type { TaskStatus } from '../../domain/task/events.js';
import type { Page, ReadStore } from '../read-store.js';
import { taskCollection } from './task-projector.js';
import type { TaskView } from './task-view.js';

/** Another tenant's task is indistinguishable from a missing one. */
export const getTask = async (store: ReadStore, tenant: string, id: string): Promise<TaskView | null> => {
  const task = await taskCollection(store).get(id);
  return task && task.tenant === tenant ? task : null;
};

export const listTasks = (store: ReadStore, tenant: string, filter: { status?: TaskStatus; kind?: string }, page: Page): Promise<TaskView[]> =>
  taskCollection(store).list({ tenant, ...filter }, page);
