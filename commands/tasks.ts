import { ConflictError, NotFoundError, RuleViolationError } from '../domain/shared/errors.js';
import { taskDecider, terminalStatuses, type TaskCommand, type TaskEvent, type TaskSubmitted } from '../domain/task/index.js';
import { instanceStream, taskStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, toDomainEvent, type CommandHandlerDeps } from './handle-command.js';
import { readTeamPolicy } from './team-policy.js';
import { validateTargetUrl } from './webhook-targets.js';

export type SubmitTaskRequest = {
  readonly kind: string;
  readonly input: Record<string, unknown>;
  readonly instance_id?: string;
  readonly required_skills?: string[];
  readonly timeout_seconds?: number;
  readonly retry?: { readonly max_attempts?: number; readonly backoff_seconds?: number };
  readonly callback_url?: string;
};

/** A callback URL is held to what a webhook's is: http(s), and no private address unless the team allows it. */
const checkedCallbackUrl = async (deps: CommandHandlerDeps, tenant: string, url: string): Promise<string> =>
  validateTargetUrl(url, (await readTeamPolicy(deps, tenant)).allow_private_webhook_targets ?? false, 'callback_url');

/** Unless the client says otherwise, a run lost to a crashed agent or a transient error is tried again. */
export const defaultRetry = { max_attempts: 3, backoff_seconds: 1 } as const;

/**
 * `taskId` is generated unless the caller derives one, so that its retries submit the
 * task once: a second submit of the same id is refused as the task already exists.
 */
export const submitTask = async (deps: CommandHandlerDeps, ctx: CommandContext, request: SubmitTaskRequest, derivedTaskId?: string) => {
  const taskId = derivedTaskId ?? deps.env.newId();
  // A task pinned to an instance that is not the team's would wait for it forever. From the
  // log, not a read model: an instance deployed a moment ago counts.
  if (request.instance_id !== undefined) {
    const [first] = await deps.store.readStream(instanceStream(request.instance_id), { maxCount: 1 });
    if (first?.tenant !== ctx.tenant) {
      throw new RuleViolationError('instance_missing', `no instance with id ${request.instance_id} in this team`, 'instance_id');
    }
  }
  return handleCommand(
    deps,
    taskDecider,
    taskStream(taskId),
    {
      type: 'SubmitTask',
      taskId,
      kind: request.kind,
      input: (await deps.personal.sealMarked(ctx.tenant, request.input, 'input')) as Record<string, unknown>,
      instanceId: request.instance_id ?? null,
      requiredSkills: request.required_skills ?? [],
      timeoutSeconds: request.timeout_seconds ?? null,
      maxAttempts: request.retry?.max_attempts ?? defaultRetry.max_attempts,
      retryBackoffSeconds: request.retry?.backoff_seconds ?? defaultRetry.backoff_seconds,
      callbackUrl: request.callback_url === undefined ? null : await checkedCallbackUrl(deps, ctx.tenant, request.callback_url),
      rerunOf: null,
    },
    ctx,
    { newStream: derivedTaskId === undefined },
  );
};

/**
 * Submits a new task with what `originalId` was submitted with, naming it in `rerun_of`.
 * From the log, not a read model, so a task finished a moment ago can be rerun. The input is
 * copied as stored: values sealed as personal stay sealed under the same subjects, so erasing
 * a subject erases them in both tasks.
 */
export const rerunTask = async (deps: CommandHandlerDeps, ctx: CommandContext, originalId: string) => {
  const history = await deps.store.readStream(taskStream(originalId));
  if (history[0]?.tenant !== ctx.tenant) throw new NotFoundError('task');
  const events = history.map((recorded) => toDomainEvent<TaskEvent>(recorded));
  const original = events.reduce(taskDecider.evolve, taskDecider.initialState());
  const submitted = events[0] as TaskSubmitted | undefined;
  if (original.status === 'none' || submitted?.type !== 'task.submitted') throw new NotFoundError('task');
  if (!terminalStatuses.includes(original.status)) {
    throw new ConflictError('task_not_finished', `task ${originalId} is ${original.status}; only a completed, failed or cancelled task can be rerun`);
  }
  const taskId = deps.env.newId();
  const { data } = submitted;
  return handleCommand(
    deps,
    taskDecider,
    taskStream(taskId),
    {
      type: 'SubmitTask',
      taskId,
      kind: data.kind,
      input: data.input,
      instanceId: data.instance_id,
      requiredSkills: data.required_skills,
      timeoutSeconds: data.timeout_seconds,
      maxAttempts: data.max_attempts,
      retryBackoffSeconds: data.retry_backoff_seconds,
      rerunOf: originalId,
    },
    ctx,
    { newStream: true },
  );
};

/** Every later transition of a task goes through here. */
export const executeTaskCommand = (deps: CommandHandlerDeps, ctx: CommandContext, taskId: string, command: Exclude<TaskCommand, { type: 'SubmitTask' }>) =>
  handleCommand(deps, taskDecider, taskStream(taskId), command, ctx);
