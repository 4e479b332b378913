/**
 * The Temporal worker: runs the workflows of `index.ts` and the activities given to it.
 * The workflow code is bundled once per process (a few seconds) and shared by every
 * worker started in it.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { LogLevel } from '@temporalio/common';
import type { Logger } from 'pino';

let bundle: Promise<WorkflowBundleWithSourceMap> | null = null;
let runtimeInstalled = false;

/** The compiled workflows: beside this file when it runs from `dist/`, under `dist/` when tests run the sources. */
const workflowsPath = (): string =>
  fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../dist/workflows/index.js' : './index.js', import.meta.url));

export const workflowBundle = (): Promise<WorkflowBundleWithSourceMap> =>
  (bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: new DefaultLogger('WARN') }));

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
    workflowBundle: await workflowBundle(),
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
