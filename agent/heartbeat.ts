import type { Logger } from 'pino';
import { isApiError, type BosunClient, type HeartbeatReport } from './client.js';
import { configurationSnapshot, readAgentConfigOrEmpty } from './configuration.js';
import { pause } from './pause.js';

/** This process's CPU use since the previous sample, and its resident memory. */
class ProcessMetrics {
  private cpu = process.cpuUsage();
  private at = performance.now();

  sample(runningTasks: number): HeartbeatReport['metrics'] {
    const cpu = process.cpuUsage(this.cpu);
    const now = performance.now();
    const busyMs = (cpu.user + cpu.system) / 1000;
    const cpuPercent = now > this.at ? (busyMs / (now - this.at)) * 100 : 0;
    this.cpu = process.cpuUsage();
    this.at = now;
    return { cpu_percent: Math.round(cpuPercent * 10) / 10, memory_mb: Math.round(process.memoryUsage.rss() / 2 ** 20), running_tasks: runningTasks };
  }
}

export type HeartbeatDeps = {
  readonly client: BosunClient;
  readonly dir: string;
  readonly provider: string;
  readonly logger: Logger;
  readonly runningTaskIds: () => string[];
  readonly cancelTasks: (ids: readonly string[]) => void;
};

const isInterval = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;

/**
 * Heartbeats until `signal` aborts, on the interval Bosun last answered. The configuration is
 * read fresh from the file each time, so an edit behind the agent's back shows as drift.
 * Only a rejected credential ends it early (it rejects): nothing else this agent does can work.
 */
export const runHeartbeats = async (deps: HeartbeatDeps, initialIntervalSeconds: number, signal: AbortSignal): Promise<void> => {
  const { client, dir, provider, logger } = deps;
  const metrics = new ProcessMetrics();
  let intervalSeconds = initialIntervalSeconds;
  let instanceStatus: string | null = null;
  while (!signal.aborted) {
    const runningTaskIds = deps.runningTaskIds();
    try {
      const answer = await client.heartbeat(
        {
          metrics: metrics.sample(runningTaskIds.length),
          configuration: configurationSnapshot(await readAgentConfigOrEmpty(dir, logger), provider),
          running_task_ids: runningTaskIds,
        },
        signal,
      );
      if (isInterval(answer.heartbeat_interval_seconds)) intervalSeconds = answer.heartbeat_interval_seconds;
      if (Array.isArray(answer.cancel_task_ids) && answer.cancel_task_ids.length > 0) deps.cancelTasks(answer.cancel_task_ids);
      const status = answer.instance_status;
      if (typeof status === 'string' && status !== instanceStatus) {
        logger.info({ instance_status: status, previous: instanceStatus }, 'instance status changed');
        instanceStatus = status;
      }
    } catch (error) {
      if (signal.aborted) break;
      if (isApiError(error, 401)) throw error;
      logger.warn({ err: error }, 'heartbeat not delivered');
    }
    await pause(intervalSeconds * 1000, signal);
  }
};
