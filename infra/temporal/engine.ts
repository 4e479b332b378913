/**
 * The workflow engine Bosun talks to: the Temporal cluster at TEMPORAL_ADDRESS, or else a
 * dev server it starts in the data directory, restarts on the same port if it dies, and
 * stops on close.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@temporalio/client';
import type { LogLevel } from '@temporalio/common';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { resolveTemporalCli } from './cli.js';
import { startTemporalDevServer, type TemporalDevServer } from './dev-server.js';

let runtimeInstalled = false;

/**
 * The SDK logs through our JSON logger instead of its own console format, and so does its
 * native core (`forward`): left to itself, core prints its warnings to stdout as text, which
 * broke the JSON lines of Bosun's log when the Temporal server went away. Once per
 * process, as Temporal allows, and before its first native connection.
 */
export const installTemporalRuntime = (logger: Logger): void => {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => logger[levels[level]]({ ...meta, component: 'temporal' }, message)),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} } },
  });
};

export type WorkflowEngine = {
  readonly address: string;
  readonly namespace: string;
  /** One connection for the worker and the client: a workflow the client starts can then start eagerly on the worker. */
  readonly connection: NativeConnection;
  readonly client: Client;
  /** Says a close is coming (the worker drains first): the dev server is no longer started again if it exits. */
  readonly beginClose: () => void;
  readonly close: () => Promise<void>;
};

/**
 * Keeps a dev server up: one that exits without being asked is started again on its port,
 * so the worker's and client's connections find it where they left it. Not once Bosun
 * stops: a service manager may signal every process of the service at once (systemd does),
 * and a server started again then would only be killed, or outlive Bosun.
 */
const superviseDevServer = async (config: Config, logger: Logger) => {
  const options = { cliPath: await resolveTemporalCli({ logger }), dataDir: join(config.dataDir, 'temporal'), logger };
  let server: TemporalDevServer = await startTemporalDevServer(options);
  const port = Number(server.address.split(':')[1]);
  let closing = false;
  const watch = async (): Promise<void> => {
    while (!closing) {
      await server.exited;
      if (closing) return;
      logger.error({ pid: server.pid, address: server.address }, 'temporal dev server exited unexpectedly: starting it again');
      for (let attempt = 1; !closing; attempt++) {
        try {
          server = await startTemporalDevServer({ ...options, port });
          break;
        } catch (error) {
          logger.error({ err: error, attempt }, 'temporal dev server did not start again');
          await sleep(Math.min(10_000, 500 * attempt));
        }
      }
    }
  };
  const watching = watch();
  return {
    address: server.address,
    namespace: server.namespace,
    beginClose: () => {
      closing = true;
    },
    stop: async () => {
      closing = true;
      await server.stop();
      await watching;
      // A start under way when the stop began completed meanwhile: that server is stopped too.
      await server.stop();
    },
  };
};

export const connectWorkflowEngine = async (config: Config, logger: Logger): Promise<WorkflowEngine> => {
  const devServer = config.temporalAddress ? null : await superviseDevServer(config, logger);
  const address = devServer?.address ?? (config.temporalAddress as string);
  const namespace = devServer?.namespace ?? config.temporalNamespace;
  logger.info({ address, namespace, embedded: devServer !== null }, 'workflow engine');
  installTemporalRuntime(logger);
  const connection = await NativeConnection.connect({ address });
  return {
    address,
    namespace,
    connection,
    client: new Client({ connection, namespace }),
    beginClose: () => devServer?.beginClose(),
    close: async () => {
      await connection.close();
      await devServer?.stop();
    },
  };
};
