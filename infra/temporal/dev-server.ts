/**
 * The embedded default of the workflow engine: a Temporal dev server (`temporal server
 * start-dev`) child process, persisting to SQLite in the data directory.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { Logger } from 'pino';

export class TemporalDevServerError extends Error {}

export type TemporalDevServerOptions = {
  /** The `temporal` CLI, e.g. from `resolveTemporalCli`. */
  readonly cliPath: string;
  /** Holds `temporal.sqlite` (the server's state), `temporal.log` (its output) and `temporal.pid`. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** gRPC port on 127.0.0.1; a free one when absent. */
  readonly port?: number;
  /** How long to wait for the server to answer on gRPC (default 60 s). */
  readonly readyTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL (default 10 s). */
  readonly stopTimeoutMs?: number;
  /** The server's own log level in its log file (default `warn`). */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** `--dynamic-config-value` pairs; values are encoded as JSON. */
  readonly dynamicConfig?: Readonly<Record<string, unknown>>;
};

export type TemporalDevServer = {
  /** `127.0.0.1:<port>`, for `Connection.connect` and `NativeConnection.connect`. */
  readonly address: string;
  /** Created at start by the dev server. */
  readonly namespace: 'default';
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the server process has exited, for whatever reason. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited in time; resolves once it has exited. Idempotent. */
  readonly stop: () => Promise<void>;
};

const NAMESPACE = 'default';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** Refuses a port something already listens on: the readiness check would take that server for ours. */
const assertPortFree = (port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new TemporalDevServerError(
          `temporal dev server cannot listen on 127.0.0.1:${port}: ${error.code === 'EADDRINUSE' ? 'address already in use' : error.message}`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

const waitForExit = (child: ChildProcess, ms: number): Promise<boolean> => {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
};

/** Whether `pid` runs `temporal server start-dev` on `dbFile`: a pid is reused once its process is gone. */
const runsDevServerOn = async (pid: number, dbFile: string): Promise<boolean> => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => null);
  if (cmdline !== null) return cmdline.includes('start-dev') && cmdline.includes(dbFile);
  // No /proc (macOS): ps says what runs under that pid.
  return new Promise((resolve) =>
    execFile('ps', ['-p', String(pid), '-o', 'args='], (error, stdout) => resolve(!error && stdout.includes('start-dev') && stdout.includes(dbFile))),
  );
};

/**
 * Stops a dev server an earlier Bosun started on this data directory and could not stop
 * (it was killed with SIGKILL): two servers on one SQLite file would each cache state the
 * other changes.
 */
const stopLeftover = async (pidFile: string, dbFile: string, stopTimeoutMs: number, logger: Logger): Promise<void> => {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !(await runsDevServerOn(pid, dbFile))) return;
  logger.warn({ pid, dbFile }, 'a temporal dev server left running by an earlier Bosun on this data directory: stopping it');
  const gone = async (ms: number) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (!(await runsDevServerOn(pid, dbFile))) return true;
    return false;
  };
  // It may exit by itself between the check and the signal.
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  signal('SIGTERM');
  if (await gone(stopTimeoutMs)) return;
  signal('SIGKILL');
  if (!(await gone(5_000))) throw new TemporalDevServerError(`the temporal dev server left running as pid ${pid} on ${dbFile} does not stop`);
};

/** The last lines the server wrote to its log since `from` (a byte offset). */
const logTail = async (logFile: string, from: number): Promise<string> =>
  (await readFile(logFile).catch(() => Buffer.alloc(0))).subarray(from).toString('utf8').trim().split('\n').slice(-15).join('\n');

/** Whether something accepts TCP connections on 127.0.0.1:`port`: cheap, and refused at once while nothing listens. */
const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * Resolves once the server answers a namespace description on gRPC; throws as soon as
 * `failed` rejects (the child could not run or exited), or when time runs out.
 */
const waitUntilServing = async (port: number, timeoutMs: number, failed: Promise<never>): Promise<void> => {
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (!(await Promise.race([listening(port), failed]))) {
      await Promise.race([sleep(50), failed]);
      continue;
    }
    let connection: Connection | undefined;
    try {
      const attempt = async () => {
        connection = await Connection.connect({ address, connectTimeout: Math.max(100, Math.min(2_000, deadline - Date.now())) });
        await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
      };
      await Promise.race([attempt(), failed]);
      return;
    } catch (error) {
      if (error instanceof TemporalDevServerError) throw error;
      lastError = error;
    } finally {
      await (connection as Connection | undefined)?.close().catch(() => undefined);
    }
    await Promise.race([sleep(100), failed]);
  }
  throw new TemporalDevServerError(`did not answer on ${address} within ${timeoutMs} ms: ${(lastError as Error | undefined)?.message ?? 'no answer'}`);
};

const launch = async (options: TemporalDevServerOptions, port: number): Promise<TemporalDevServer> => {
  const { cliPath, dataDir, logger } = options;
  const dbFile = join(dataDir, 'temporal.sqlite');
  const logFile = join(dataDir, 'temporal.log');
  const address = `127.0.0.1:${port}`;
  await assertPortFree(port);
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--db-filename',
    dbFile,
    // The server writes its state in one SQLite transaction after another. In the default
    // rollback journal each costs several fsyncs (journal, database, journal deletion); in
    // WAL one, still synchronous and as durable: twice the one-activity workflows per
    // second on the development machine (7-11 to 17-21). synchronous=NORMAL then fsyncs
    // only at WAL checkpoints: a committed transaction is in the WAL file as soon as it
    // commits, so a kill -9 of the server (or of everything) loses none; a power cut can
    // lose the last ones, as it can the reactor's checkpoint. 19 to 29 one-activity
    // workflows/s, as fast as the in-memory store (31) on the same machine.
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=NORMAL',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--log-format',
    'json',
    '--log-level',
    options.logLevel ?? 'warn',
    '--color',
    'never',
    ...Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]),
  ];
  const pidFile = join(dataDir, 'temporal.pid');
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  await stopLeftover(pidFile, dbFile, stopTimeoutMs, logger);
  const out = openSync(logFile, 'a');
  const logStart = fstatSync(out).size;
  const started = Date.now();
  let child: ChildProcess;
  try {
    // Detached: in a session of its own, so the signals of a terminal (Ctrl-C, hang-up) or of
    // a kill of Bosun's process group reach only Bosun, which stops the server itself once
    // its worker has drained. The price: a Bosun killed with SIGKILL leaves the server
    // running. The pid file lets the next start on this data directory stop it first; a
    // normal exit of Bosun signals it below.
    child = spawn(cliPath, args, { stdio: ['ignore', out, out], detached: true });
  } finally {
    closeSync(out);
  }
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new TemporalDevServerError(`cannot run ${cliPath}: ${error.message}`)));
    child.once('exit', (code, signal) => reject(new TemporalDevServerError(`exited with ${code ?? signal} before serving`)));
  });
  failed.catch(() => undefined);
  if (child.pid !== undefined) writeFileSync(pidFile, `${child.pid}\n`);
  const onBosunExit = () => {
    if (!exited(child)) child.kill('SIGTERM');
  };
  process.once('exit', onBosunExit);
  child.once('exit', () => {
    process.off('exit', onBosunExit);
    // At once, not later: a restart on this data directory writes the file again.
    rmSync(pidFile, { force: true });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exited(child)) return;
      const begun = Date.now();
      child.kill('SIGTERM');
      if (!(await waitForExit(child, stopTimeoutMs))) {
        logger.warn({ pid: child.pid, stopTimeoutMs }, 'temporal dev server ignored SIGTERM: killing it');
        child.kill('SIGKILL');
        await waitForExit(child, 5_000);
      }
      logger.info({ pid: child.pid, ms: Date.now() - begun }, 'temporal dev server stopped');
    })());

  try {
    await waitUntilServing(port, options.readyTimeoutMs ?? 60_000, failed);
  } catch (error) {
    await stop();
    const log = await logTail(logFile, logStart);
    throw new TemporalDevServerError(`temporal dev server ${(error as Error).message}${log ? `\n--- ${logFile} ---\n${log}` : ''}`);
  }
  logger.info({ address, pid: child.pid, dbFile, logFile, ms: Date.now() - started }, 'temporal dev server started');
  const exitedPromise = exited(child) ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { address, namespace: NAMESPACE, pid: child.pid!, logFile, exited: exitedPromise, stop };
};

/**
 * Starts `temporal server start-dev` on 127.0.0.1 and resolves once it answers on gRPC.
 * Its output goes to `<dataDir>/temporal.log`. With no `port` given, a free one is
 * picked, and picked again (twice at most) if another process took it first.
 */
export const startTemporalDevServer = async (options: TemporalDevServerOptions): Promise<TemporalDevServer> => {
  await mkdir(options.dataDir, { recursive: true });
  if (options.port !== undefined) return launch(options, options.port);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await launch(options, port);
    } catch (error) {
      const portTaken = /address already in use/i.test((error as Error).message);
      if (!portTaken || attempt >= 3) throw error;
      options.logger.warn({ port, attempt }, 'temporal dev server port was taken: trying another');
    }
  }
};
