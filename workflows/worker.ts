/**
 * The Temporal worker: runs the workflows of `index.ts` and the activities given to it.
 * The workflow code is bundled at build time (`npm run build` runs `bundle-workflows.js`),
 * so starting a worker does not spend seconds in webpack.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context } from '@temporalio/activity';
import { Worker, type ActivityInterceptors, type NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';

/** In `dist/workflows/`: beside this file when it runs from `dist/`, under `dist/` when tests run the sources. */
const inDist = (file: string): string => fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? `../dist/workflows/${file}` : `./${file}`, import.meta.url));

export const workflowsPath = (): string => inDist('index.js');
export const workflowBundlePath = (): string => inDist('workflow-bundle.js');

/** The bundle the build made; a missing one is a build that did not run. */
export const workflowBundle = (): { readonly codePath: string } => {
  const codePath = workflowBundlePath();
  if (!existsSync(codePath)) throw new Error(`${codePath} is missing: run \`npm run build\``);
  return { codePath };
};

/**
 * Every activity run with a heartbeat timeout heartbeats while it runs, a few times per
 * timeout: an activity whose worker died is then retried once that timeout passes, rather
 * than after its whole start-to-close timeout.
 */
const heartbeatWhileRunning = (context: Context): ActivityInterceptors => ({
  inbound: {
    async execute(input, next) {
      const timeoutMs = context.info.heartbeatTimeoutMs;
      if (!timeoutMs) return next(input);
      const beat = setInterval(() => context.heartbeat(), Math.max(100, timeoutMs / 4));
      try {
        return await next(input);
      } finally {
        clearInterval(beat);
      }
    },
  },
});

export type RunningWorker = { readonly stop: () => Promise<void> };

/** `connection` is shared with the client that starts workflows, so that they can start eagerly on this worker. */
export const startWorker = async (options: {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly activities: object;
  readonly logger: Logger;
}): Promise<RunningWorker> => {
  const { connection } = options;
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: workflowBundle(),
    activities: options.activities,
    interceptors: { activity: [heartbeatWhileRunning] },
    // A workflow starts eagerly on this worker only while it has a free workflow-task slot;
    // one that finds none waits in the server's backlog behind the tasks matched at once
    // (seconds, in a saturated fleet). Slots are permits, not threads: activations still
    // run one at a time on the workflow thread.
    maxConcurrentWorkflowTaskExecutions: 200,
  });
  const running = worker.run();
  running.catch((error: unknown) => options.logger.error({ err: error }, 'temporal worker stopped'));
  return {
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
    },
  };
};
