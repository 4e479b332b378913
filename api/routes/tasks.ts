import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import { executeTaskCommand, rerunTask, submitTask, type SubmitTaskRequest } from '../../commands/tasks.js';
import type { TaskStatus } from '../../domain/task/events.js';
import { idOfStream, taskStream } from '../../events/streams.js';
import type { ReadStore } from '../../projections/read-store.js';
import { getTask, listTasks } from '../../projections/tasks/task-queries.js';
import { evolveTaskView } from '../../projections/tasks/task-view.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { notFound } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { listBody, pageFromQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { presentTask } from '../presenters.js';
import { afterWrite, asOf, foldWith } from '../resource-views.js';
import { cancelTaskBody, listTasksQuery, submitTaskBody } from '../schemas.js';
import type { BosunState } from '../state.js';
import { instantQuery } from '../time-travel.js';
import { validator } from '../validation.js';

export type TaskRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly consistent: Middleware;
};

const foldTask = foldWith(evolveTaskView);

const validateSubmit = validator<SubmitTaskRequest>(submitTaskBody);
const validateCancel = validator<{ reason?: string }>(cancelTaskBody);
const validateListQuery = validator<{ status?: TaskStatus; kind?: string; instance_id?: string; rerun_of?: string }>(listTasksQuery);

/** `created_after`/`created_before` as `created_at` compares: UTC, with milliseconds. */
const createdRangeOf = (ctx: Context) => {
  const after = instantQuery(ctx, 'created_after');
  const before = instantQuery(ctx, 'created_before');
  if (after === undefined && before === undefined) return {};
  return {
    created: {
      ...(after === undefined ? {} : { $gte: new Date(after).toISOString() }),
      ...(before === undefined ? {} : { $lt: new Date(before).toISOString() }),
    },
  };
};

/** Adds the routes to `router`: one flat router matches a path once, where nested ones matched it again. */
export const taskRoutes = (router: Router<BosunState>, deps: TaskRoutesDeps): void => {
  const events = deps.commands.store;

  const answer = async (ctx: Context, status: number, taskId: string, result: Pick<CommandResult<unknown>, 'revision' | 'stream'>) => {
    const view = await afterWrite(events, taskStream(taskId), result, foldTask, { resource: 'task', id: taskId });
    ctx.status = status;
    ctx.body = presentTask(view);
    ctx.state.appended = { stream: taskStream(taskId), revision: view.revision, position: view.position, occurredAt: view.updated_at } satisfies Appended;
  };

  const replayAs =
    (status: number): Replay =>
    async (ctx, record) => {
      const view = await asOf(events, record.stream, record.revision, foldTask, { resource: 'task', id: idOfStream(record.stream) });
      ctx.status = status;
      ctx.body = presentTask(view);
    };

  router.post('/tasks', allow('POST /api/v1/tasks'), deps.idempotent(replayAs(202)), async (ctx) => {
    const request = validateSubmit(ctx.request.body);
    const result = await submitTask(deps.commands, commandContextOf(ctx), request);
    if (result.state.status === 'none') throw new Error('submit decided nothing');
    await answer(ctx, 202, result.state.taskId, result);
    ctx.set('Location', `/api/v1/tasks/${result.state.taskId}`);
  });

  router.post('/tasks/:id/rerun', allow('POST /api/v1/tasks/:id/rerun'), deps.idempotent(replayAs(202)), async (ctx) => {
    const result = await rerunTask(deps.commands, commandContextOf(ctx), resourceId(ctx));
    if (result.state.status === 'none') throw new Error('rerun decided nothing');
    await answer(ctx, 202, result.state.taskId, result);
    ctx.set('Location', `/api/v1/tasks/${result.state.taskId}`);
  });

  router.get('/tasks', allow('GET /api/v1/tasks'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const filter = validateListQuery({ ...ctx.query });
    const page = pageFromQuery(ctx);
    const tasks = await listTasks(
      deps.readStore,
      tenant,
      {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.kind ? { kind: filter.kind } : {}),
        ...(filter.instance_id ? { instance_id: filter.instance_id } : {}),
        ...(filter.rerun_of ? { rerun_of: filter.rerun_of } : {}),
        ...createdRangeOf(ctx),
      },
      { ...page, limit: page.limit + 1 },
    );
    ctx.body = listBody(tasks, page, presentTask);
  });

  router.get('/tasks/:id', allow('GET /api/v1/tasks/:id'), deps.consistent, async (ctx) => {
    const task = await getTask(deps.readStore, principalOf(ctx).tenant, resourceId(ctx));
    if (!task) throw notFound('task', resourceId(ctx));
    ctx.body = presentTask(task);
  });

  router.post('/tasks/:id/cancel', allow('POST /api/v1/tasks/:id/cancel'), deps.idempotent(replayAs(200)), async (ctx) => {
    const { reason } = validateCancel(ctx.request.body ?? {});
    const taskId = resourceId(ctx);
    const result = await executeTaskCommand(deps.commands, commandContextOf(ctx), taskId, { type: 'CancelTask', reason: reason ?? null });
    await answer(ctx, 200, taskId, result);
  });
};
