import type { TaskStatus } from '../../domain/task/events.js';
import type { Page, ReadStore } from '../read-store.js';
import { taskCollection } from './task-projector.js';
import type { TaskView } from './task-view.js';

/** Another tenant's task is indistinguishable from a missing one. */
export const getTask = async (store: ReadStore, tenant: string, id: string): Promise<TaskView | null> => {
  const task = await taskCollection(store).get(id);
  return task && task.tenant === tenant ? task : null;
};

/** What a list of tasks may be narrowed to; `created` bounds are RFC 3339 UTC times as `created_at` holds them (`toISOString`). */
export type TaskFilter = {
  readonly status?: TaskStatus;
  readonly kind?: string;
  readonly instance_id?: string;
  readonly rerun_of?: string;
  readonly created?: { readonly $gte?: string; readonly $lt?: string };
};

export const listTasks = (store: ReadStore, tenant: string, { created, ...filter }: TaskFilter, page: Page): Promise<TaskView[]> =>
  taskCollection(store).list({ tenant, ...filter, ...(created ? { created_at: created } : {}) }, page);
