/**
 * The Temporal worker: runs the workflows of `index.ts` and the activities given to it.
 * The workflow code is bundled at build time (`npm run build` runs `bundle-workflows.js`),
 * so starting a worker does not spend seconds in webpack.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';
import type { Logger } from 'pino';

let runtimeInstalled = false;

/** In `dist/workflows/`: beside this file when it runs from `dist/`, under `dist/` when tests run the sources. */
const inDist = (file: string): string =>
  fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? `../dist/workflows/${file}` : `./${file}`, import.meta.url));

export const workflowsPath = (): string => inDist('index.js');
export const workflowBundlePath = (): string => inDist('workflow-bundle.js');

/** The bundle the build made; a missing one is a build that did not run. */
export const workflowBundle = (): { readonly codePath: string } => {
  const codePath = workflowBundlePath();
  if (!existsSync(codePath)) throw new Error(`${codePath} is missing: run \`npm run build\``);
  return { codePath };
};

/** The SDK logs through our JSON logger instead of its own console format; once per process, as Temporal allows. */
const installRuntime = (logger: Logger): void => {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => logger[levels[level]]({ ...meta, component: 'temporal' }, message)),
  });
};

export type RunningWorker = { readonly stop: () => Promise<void> };

export const startWorker = async (options: {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly activities: object;
  readonly logger: Logger;
}): Promise<RunningWorker> => {
  installRuntime(options.logger);
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: workflowBundle(),
    activities: options.activities,
  });
  const running = worker.run();
  running.catch((error: unknown) => options.logger.error({ err: error }, 'temporal worker stopped'));
  return {
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await connection.close();
    },
  };
};
