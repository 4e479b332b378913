import type { Logger } from 'pino';
import { isApiError, type BosunClient, type ClaimedTask, type TaskError } from './client.js';
import { ProgressReporter } from './progress-reporter.js';
import { TaskFailure } from './task-failure.js';
import { runTaskKind } from './task-kinds.js';

/** `cancelled`: Bosun cancelled it, nothing more is reported. `stopping`: the agent stops, it is reported failed and retryable. */
export type StopReason = 'cancelled' | 'stopping';

export type TaskRun = {
  readonly id: string;
  /** Settles once the outcome is reported (or given up on); never rejects. */
  readonly done: Promise<void>;
  readonly stop: (reason: StopReason) => void;
};

export type TaskRunDeps = { readonly client: BosunClient; readonly dir: string; readonly logger: Logger };

/** Bosun keeps error messages short; the full error is in the agent's log. */
const maxMessageLength = 1000;

const describe = (error: unknown): string => {
  const message = !(error instanceof Error) ? String(error) : error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
  return message.slice(0, maxMessageLength);
};

const failureOf = (error: unknown): { error: TaskError; retryable: boolean } =>
  error instanceof TaskFailure
    ? { error: { code: error.code, message: error.message }, retryable: error.retryable }
    : { error: { code: 'task_error', message: describe(error) }, retryable: true };

const stoppedFailure = { error: { code: 'agent_stopped', message: 'the agent stopped before the task finished' }, retryable: true };

/** Runs an acknowledged task to its end and reports how it ended. */
export const startTaskRun = (task: ClaimedTask, { client, dir, logger: agentLogger }: TaskRunDeps): TaskRun => {
  const logger = agentLogger.child({ task_id: task.id, kind: task.kind, attempt: task.attempt });
  const controller = new AbortController();
  const stop = (reason: StopReason) => {
    if (controller.signal.aborted) return;
    if (reason === 'cancelled') reporter.drop();
    controller.abort(reason);
  };
  const reporter = new ProgressReporter(client, task.id, () => stop('cancelled'), logger);
  const cancelled = () => controller.signal.reason === 'cancelled';

  const report = async (outcome: string, send: () => Promise<void>) => {
    try {
      await send();
      logger.info({ outcome }, 'task finished');
    } catch (error) {
      if (isApiError(error, 409)) logger.warn({ outcome, err: error }, 'Bosun no longer holds the task as running here; outcome not recorded');
      else logger.error({ outcome, err: error }, 'task outcome not delivered');
    }
  };

  const execute = async () => {
    logger.info('task started');
    const context = {
      signal: controller.signal,
      timeoutSeconds: task.timeout_seconds,
      dir,
      log: reporter.log,
      desiredSetting: (name: string) => client.desiredSetting(name),
    };
    const result = await runTaskKind(task.kind, task.input, context).then(
      (outputs) => ({ outputs }),
      (error: unknown) => ({ error }),
    );
    if (!cancelled()) await reporter.flush();
    if (cancelled()) return logger.info('task cancelled; nothing more is reported');
    if ('outputs' in result) return report('completed', () => client.complete(task.id, result.outputs));
    const failure = controller.signal.aborted ? stoppedFailure : failureOf(result.error);
    if (!controller.signal.aborted) logger.warn({ err: result.error, code: failure.error.code }, 'task failed');
    return report('failed', () => client.fail(task.id, failure.error, failure.retryable));
  };

  return { id: task.id, done: execute().catch((error: unknown) => logger.error({ err: error }, 'task run broke')), stop };
};
