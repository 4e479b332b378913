/**
 * The processes of the `local` provider's agents: starting one, telling whether a pid is
 * still one, stopping them. An agent is recognised by `--dir <its instance dir>` on its
 * command line (where /proc tells), so a pid file that outlived its process, and a pid the
 * system has since given to something else, are not taken for a running agent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

export class LocalProviderError extends Error {
  readonly instanceId: string;
  readonly path: string | undefined;
  readonly pid: number | undefined;

  constructor(message: string, context: { readonly instanceId: string; readonly path?: string; readonly pid?: number }, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalProviderError';
    this.instanceId = context.instanceId;
    this.path = context.path;
    this.pid = context.pid;
  }
}

const PROC_AVAILABLE = existsSync('/proc/self/cmdline');
const EXIT_POLL_MS = 20;
/** How long a SIGKILLed process may take to disappear before stopping it counts as failed. */
const KILL_WAIT_MS = 5_000;

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * Whether `pid` runs and, where /proc tells, was started with `--dir <dir>`. Without /proc
 * (macOS) only the first holds. A zombie has an empty command line, so it counts as gone.
 */
export const isAgentProcess = async (pid: number, dir: string): Promise<boolean> => {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: another user's process, so not an agent this user started.
    return false;
  }
  if (!PROC_AVAILABLE) return true;
  const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  return args.some((arg, i) => arg === '--dir' && args[i + 1] === dir);
};

/** The pid in `path`, or null when the file is absent or holds no pid (the agent may be rewriting it). */
export const readPidFile = async (path: string): Promise<number | null> => {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    if (errorCode(error) === 'ENOENT') return '';
    throw error;
  });
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
};

/** Written aside and renamed, so a reader never sees a partial pid. */
export const writePidFile = async (path: string, pid: number): Promise<void> => {
  const draft = `${path}.${process.pid}.draft`;
  await writeFile(draft, `${pid}\n`);
  await rename(draft, path);
};

export type AgentLaunch = {
  readonly instanceId: string;
  readonly argv: readonly string[];
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Receives the agent's stdout and stderr, appended. */
  readonly logFile: string;
  readonly logger: Logger;
};

/** Starts the agent and resolves once it runs (its executable was found and started). */
export const spawnAgent = async (launch: AgentLaunch): Promise<ChildProcess> => {
  const { instanceId, argv, dir, env, logFile, logger } = launch;
  const [command, ...args] = argv;
  if (command === undefined) throw new LocalProviderError(`no agent command to start instance ${instanceId} with`, { instanceId, path: dir });
  const log = await open(logFile, 'a');
  let child: ChildProcess;
  try {
    // Not detached: agents stay in Bosun's process group, so a kill of the group takes
    // them down too. Nothing else ties them to Bosun: they outlive its normal exit, and a
    // later Bosun finds them through their pid files.
    child = spawn(command, args, { cwd: dir, env, stdio: ['ignore', log.fd, log.fd], detached: false });
    await once(child, 'spawn');
  } catch (error) {
    throw new LocalProviderError(
      `cannot start the agent of instance ${instanceId} (${argv.join(' ')}) in ${dir}: ${(error as Error).message}`,
      { instanceId, path: dir },
      { cause: error },
    );
  } finally {
    await log.close();
  }
  const pid = child.pid as number;
  child.on('error', (error) => logger.error({ err: error, instanceId, pid }, 'agent process error'));
  child.once('exit', (code, signal) => logger.info({ instanceId, pid, code, signal }, 'agent exited'));
  // The agent's life is not Bosun's: its handle must not keep Bosun's event loop alive.
  child.unref();
  return child;
};

const signal = (pids: readonly number[], name: NodeJS.Signals, instanceId: string): void => {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch (error) {
      if (errorCode(error) !== 'ESRCH')
        throw new LocalProviderError(
          `cannot send ${name} to the agent of instance ${instanceId}: ${(error as Error).message}`,
          { instanceId, pid },
          { cause: error },
        );
    }
  }
};

/** The pids still running after at most `ms`. Polls: an agent started by an earlier Bosun is not our child, so no exit event tells. */
const survivorsAfter = async (pids: readonly number[], dir: string, ms: number): Promise<number[]> => {
  const deadline = Date.now() + ms;
  let alive = [...pids];
  for (;;) {
    const checks = await Promise.all(alive.map((pid) => isAgentProcess(pid, dir)));
    alive = alive.filter((_, i) => checks[i]);
    if (alive.length === 0 || Date.now() >= deadline) return alive;
    await sleep(EXIT_POLL_MS);
  }
};

/** SIGTERM, then SIGKILL for those still running after `graceMs`; resolves once all are gone. */
export const stopAgentProcesses = async (
  pids: readonly number[],
  options: { readonly instanceId: string; readonly dir: string; readonly graceMs: number; readonly logger: Logger },
): Promise<void> => {
  const { instanceId, dir, graceMs, logger } = options;
  signal(pids, 'SIGTERM', instanceId);
  const stubborn = await survivorsAfter(pids, dir, graceMs);
  if (stubborn.length === 0) return;
  logger.warn({ instanceId, pids: stubborn, graceMs }, 'agent ignored SIGTERM: killing it');
  signal(stubborn, 'SIGKILL', instanceId);
  const undead = await survivorsAfter(stubborn, dir, KILL_WAIT_MS);
  if (undead.length > 0) {
    throw new LocalProviderError(`the agent of instance ${instanceId} (pid ${undead.join(', ')}) still runs ${KILL_WAIT_MS} ms after SIGKILL`, {
      instanceId,
      path: dir,
      pid: undead[0] as number,
    });
  }
};
