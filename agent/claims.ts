import type { Logger } from 'pino';
import { isApiError, type BosunClient, type ClaimedTask } from './client.js';
import { maxConcurrentTasks, readAgentConfigOrEmpty } from './configuration.js';
import { pause } from './pause.js';
import type { TaskRun } from './task-run.js';

/** After a claim failed even with the client's retries, wait this long before claiming again. */
const claimRetryDelayMs = 5000;

export type ClaimDeps = {
  readonly client: BosunClient;
  readonly dir: string;
  readonly logger: Logger;
  readonly running: ReadonlyMap<string, TaskRun>;
  readonly startRun: (task: ClaimedTask) => void;
};

/** False when the task is not to be run: requeued or cancelled meanwhile (409), or the ack was lost. */
const acknowledge = async (client: BosunClient, task: ClaimedTask, logger: Logger): Promise<boolean> => {
  try {
    await client.ack(task.id);
    return true;
  } catch (error) {
    if (isApiError(error, 401)) throw error;
    if (isApiError(error, 409)) logger.info({ task_id: task.id }, 'task no longer queued for this instance; dropped');
    else logger.warn({ err: error, task_id: task.id }, 'acknowledgement not delivered; Bosun requeues the task after its deadline');
    return false;
  }
};

/**
 * Long-polls for tasks while fewer than `max_concurrent_tasks` run, until `signal` aborts.
 * Only a rejected credential ends it early (it rejects).
 */
export const runClaims = async (deps: ClaimDeps, claimWaitSeconds: number, signal: AbortSignal): Promise<void> => {
  const { client, dir, logger, running } = deps;
  const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  while (!signal.aborted) {
    const limit = maxConcurrentTasks(await readAgentConfigOrEmpty(dir, logger));
    if (running.size >= limit) {
      await Promise.race([stopped, ...[...running.values()].map((run) => run.done)]);
      continue;
    }
    let task: ClaimedTask | null;
    try {
      task = await client.claim(claimWaitSeconds, signal);
    } catch (error) {
      if (signal.aborted) break;
      if (isApiError(error, 401)) throw error;
      logger.warn({ err: error, retry_in_ms: claimRetryDelayMs }, 'claim failed');
      await pause(claimRetryDelayMs, signal);
      continue;
    }
    // A task claimed as the agent stops is left unacknowledged: Bosun requeues it after its deadline.
    if (task === null || signal.aborted) continue;
    if (await acknowledge(client, task, logger)) deps.startRun(task);
  }
};
