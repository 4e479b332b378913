import { taskDecider, type TaskCommand } from '../domain/task/index.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';

export const taskStream = (taskId: string): string => `task-${taskId}`;
export const taskIdOfStream = (stream: string): string => stream.slice('task-'.length);

export type SubmitTaskRequest = {
  readonly kind: string;
  readonly input: Record<string, unknown>;
  readonly instance_id?: string;
  readonly required_skills?: string[];
  readonly timeout_seconds?: number;
};

export const submitTask = (deps: CommandHandlerDeps, ctx: CommandContext, request: SubmitTaskRequest) => {
  const taskId = deps.env.newId();
  return handleCommand(
    deps,
    taskDecider,
    taskStream(taskId),
    {
      type: 'SubmitTask',
      taskId,
      kind: request.kind,
      input: request.input,
      instanceId: request.instance_id ?? null,
      requiredSkills: request.required_skills ?? [],
      timeoutSeconds: request.timeout_seconds ?? null,
    },
    ctx,
    { newStream: true },
  );
};

/** Every later transition of a task goes through here. */
export const executeTaskCommand = (
  deps: CommandHandlerDeps,
  ctx: CommandContext,
  taskId: string,
  command: Exclude<TaskCommand, { type: 'SubmitTask' }>,
) => handleCommand(deps, taskDecider, taskStream(taskId), command, ctx);
