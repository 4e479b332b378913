/** The reference agent: enrol, heartbeat, claim and run tasks, until told to stop. */
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import { runClaims } from './claims.js';
import { BosunClient, type ClaimedTask } from './client.js';
import { enrol, type Enrolment } from './enrolment.js';
import { runHeartbeats } from './heartbeat.js';
import { claimPidFile } from './pid-file.js';
import type { RetryPolicy } from './retry.js';
import { startTaskRun, type TaskRun } from './task-run.js';

export type AgentOptions = {
  /** Bosun's base URL (`BOSUN_URL`). */
  readonly url: string;
  /** Holds `credential`, `agent-config.json` and `agent.pid` (`BOSUN_AGENT_DIR`). */
  readonly dir: string;
  /** One-time token (`BOSUN_REGISTRATION_TOKEN`), used only when no credential is stored. */
  readonly registrationToken?: string;
  readonly logger: Logger;
  /** Aborting it stops the agent gracefully: no more claims, running tasks reported failed and retryable. */
  readonly signal?: AbortSignal;
  /** The `provider` reported in configuration snapshots. @defaultValue 'local' */
  readonly provider?: string;
  readonly retry?: RetryPolicy;
};

/** Until the first heartbeat answers, when a stored credential gave no interval. */
const defaultHeartbeatIntervalSeconds = 5;
const defaultClaimWaitSeconds = 20;
const claimWaitRange = (seconds: number | null): number => Math.min(Math.max(Math.round(seconds ?? defaultClaimWaitSeconds), 1), 30);

/**
 * Runs the agent until `signal` aborts (resolves) or Bosun rejects its credential (rejects).
 * Either way it stops claiming, stops every running task and reports it before returning.
 */
export const runAgent = async (options: AgentOptions): Promise<void> => {
  const { dir, logger } = options;
  await mkdir(dir, { recursive: true });
  const releasePidFile = await claimPidFile(dir);
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  try {
    const client = new BosunClient(options.url, logger, options.retry);
    let enrolment: Enrolment;
    try {
      enrolment = await enrol(dir, client, options.registrationToken, logger, stopping.signal);
    } catch (error) {
      if (stopping.signal.aborted) return;
      throw error;
    }
    client.useCredential(enrolment.credential);

    const running = new Map<string, TaskRun>();
    const startRun = (task: ClaimedTask) => {
      const run = startTaskRun(task, { client, dir, logger });
      running.set(run.id, run);
      void run.done.then(() => running.delete(run.id));
    };
    const cancelTasks = (ids: readonly string[]) => {
      for (const id of ids) running.get(id)?.stop('cancelled');
    };
    let fatal: unknown = null;
    const stopOn = (error: unknown) => {
      fatal ??= error;
      stop();
    };

    logger.info({ dir }, 'agent running');
    await Promise.all([
      runHeartbeats(
        { client, dir, provider: options.provider ?? 'local', logger, runningTaskIds: () => [...running.keys()], cancelTasks },
        enrolment.heartbeatIntervalSeconds ?? defaultHeartbeatIntervalSeconds,
        stopping.signal,
      ).catch(stopOn),
      runClaims({ client, dir, logger, running, startRun }, claimWaitRange(enrolment.claimWaitSeconds), stopping.signal).catch(stopOn),
    ]);
    const runs = [...running.values()];
    for (const run of runs) run.stop('stopping');
    await Promise.all(runs.map((run) => run.done));
    if (fatal !== null) throw fatal;
    logger.info({ stopped_tasks: runs.length }, 'agent stopped');
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await releasePidFile();
  }
};
