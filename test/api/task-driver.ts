import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { executeTaskCommand } from '../../commands/tasks.js';
import type { TaskCommand } from '../../domain/task/index.js';
import type { EventStore } from '../../events/event-store.js';
import { taskStream } from '../../events/streams.js';
import type { TestBosun } from './harness.js';

export const instanceId = 'instance-1';

/**
 * Moves tasks as workflows and agents will, through the command layer: nothing moves them
 * yet in the test setup. Each command acts in the task's own team.
 */
export const taskDriver = (app: TestBosun) => {
  const deps: CommandHandlerDeps = app.bosun.commands;
  const execute = async (taskId: string, command: Exclude<TaskCommand, { type: 'SubmitTask' }>) => {
    const [submitted] = await app.bosun.events.readStream(taskStream(taskId), { maxCount: 1 });
    if (!submitted) throw new Error(`no task ${taskId}`);
    const ctx = {
      tenant: submitted.tenant,
      actor: { type: 'agent' as const, id: instanceId },
      requestId: null,
      correlationId: taskId,
      causationId: null,
      clientIp: null,
      userAgent: null,
    };
    return executeTaskCommand(deps, ctx, taskId, command);
  };
  return {
    execute,
    /** Queued on `instanceId` and started there: revisions 1 and 2. */
    start: async (taskId: string) => {
      await execute(taskId, { type: 'QueueTask', instanceId, ackDeadline: new Date(Date.now() + 60_000).toISOString() });
      return execute(taskId, { type: 'StartTask', instanceId });
    },
    progress: (taskId: string, percent: number) => execute(taskId, { type: 'ReportProgress', percent, message: `at ${percent}%` }),
    complete: (taskId: string, outputs: Record<string, unknown>) => execute(taskId, { type: 'CompleteTask', outputs }),
  };
};

/**
 * Counts the event-store subscriptions opened from now on and still open, to catch leaks
 * (the read models' own subscription predates it).
 */
export const watchSubscriptions = (events: EventStore) => {
  const subscribe = events.subscribe.bind(events);
  let open = 0;
  let changed: (() => void)[] = [];
  const notify = () => {
    for (const resolve of changed) resolve();
    changed = [];
  };
  events.subscribe = (after, handlers) => {
    const subscription = subscribe(after, handlers);
    open++;
    notify();
    return {
      close: async () => {
        await subscription.close();
        open--;
        notify();
      },
    };
  };
  return {
    open: () => open,
    /** Resolves once exactly `count` are open. */
    until: async (count: number) => {
      while (open !== count) await new Promise<void>((resolve) => changed.push(resolve));
    },
  };
};
