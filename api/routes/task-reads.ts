import type Router from '@koa/router';
import type { Context } from 'koa';
import { terminalStatuses } from '../../domain/task/events.js';
import { taskStream } from '../../events/streams.js';
import { getTask } from '../../projections/tasks/task-queries.js';
import { evolveTaskView, type TaskView } from '../../projections/tasks/task-view.js';
import { principalOf } from '../auth.js';
import { ApiError, notFound } from '../errors.js';
import { followStream } from '../live-streams.js';
import { resourceId } from '../ownership.js';
import { singleQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { eventStream, lastEventIdOf, serverSentEventOf } from '../sse.js';
import type { BosunState } from '../state.js';
import type { TaskRoutesDeps } from './tasks.js';

const maxWaitSeconds = 60;

const isFinished = (task: TaskView | null): boolean => task !== null && terminalStatuses.includes(task.status);

const presentTaskResult = (task: TaskView) => ({
  object: 'task_result' as const,
  task_id: task.id,
  status: task.status,
  outputs: task.outputs,
  error: task.error,
  finished_at: task.finished_at,
});

const waitSecondsOf = (ctx: Context): number => {
  const raw = singleQuery(ctx, 'wait_seconds');
  if (raw === undefined) return 0;
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw) || seconds > maxWaitSeconds) {
    throw new ApiError('invalid_request_error', 'invalid_field', `wait_seconds must be an integer from 0 to ${maxWaitSeconds}`, {
      param: 'wait_seconds',
    });
  }
  return seconds;
};

/** Reads of a task that follow it as it runs: its live events and its result. */
export const taskReadRoutes = (router: Router<BosunState>, deps: TaskRoutesDeps): void => {
  const events = deps.commands.store;

  /** The task from its stream once it finished, or as it is when `ms` ran out or the client left. */
  const settledWithin = async (ctx: Context, taskId: string, ms: number): Promise<TaskView | null> => {
    let task: TaskView | null = null;
    let settle = () => {};
    let fail = (_error: Error) => {};
    const settled = new Promise<void>((resolve, reject) => {
      settle = resolve;
      fail = reject;
    });
    const timer = setTimeout(settle, ms);
    // Listened to first: a client that leaves while the stream is read must not be missed.
    ctx.res.once('close', settle);
    let stopFollowing = () => {};
    try {
      stopFollowing = await followStream(events, taskStream(taskId), {
        onEvent: (event) => {
          task = evolveTaskView(task, event);
          if (isFinished(task)) settle();
          return isFinished(task);
        },
        onError: (error) => fail(error),
      });
      await settled;
    } finally {
      stopFollowing();
      clearTimeout(timer);
      ctx.res.off('close', settle);
    }
    return task;
  };

  router.get('/tasks/:id/events', allow('GET /api/v1/tasks/:id/events'), async (ctx) => {
    const { tenant } = principalOf(ctx);
    const taskId = resourceId(ctx);
    const sentUpTo = lastEventIdOf(ctx) ?? -1;
    const stream = taskStream(taskId);
    // Whose task it is, from its first event: checked before anything is followed.
    const [first] = await events.readStream(stream, { maxCount: 1 });
    if (first?.tenant !== tenant) throw notFound('task', taskId);
    if (sentUpTo > 0 && (await events.readStream(stream, { fromRevision: sentUpTo, maxCount: 1 })).length === 0) {
      throw new ApiError('invalid_request_error', 'invalid_field', `Last-Event-ID ${sentUpTo} is beyond the task's last event: no event was sent with it`, {
        param: 'last_event_id',
      });
    }

    const body = eventStream();
    // Folded from the first event even when resuming: only the whole stream tells when it has ended.
    let task: TaskView | null = null;
    const stopFollowing = await followStream(events, stream, {
      onEvent: (event) => {
        task = evolveTaskView(task, event);
        if (event.revision > sentUpTo) body.send(serverSentEventOf(event));
        if (!isFinished(task)) return false;
        body.end();
        return true;
      },
      // The client reconnects with Last-Event-ID and resumes where it was.
      onError: () => body.end(),
    });
    body.respond(ctx, stopFollowing);
  });

  router.get('/tasks/:id/result', allow('GET /api/v1/tasks/:id/result'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    const taskId = resourceId(ctx);
    const waitSeconds = waitSecondsOf(ctx);
    const known = await getTask(deps.readStore, tenant, taskId);
    if (!known) throw notFound('task', taskId);
    const task = isFinished(known) || waitSeconds === 0 ? known : ((await settledWithin(ctx, taskId, waitSeconds * 1000)) ?? known);
    if (!isFinished(task)) {
      throw new ApiError('conflict_error', 'task_not_finished', `task ${taskId} is ${task.status}; it has a result once completed, failed or cancelled`);
    }
    ctx.body = presentTaskResult(task);
  });
};
