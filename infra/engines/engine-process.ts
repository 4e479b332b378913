/**
 * What the engines (`bosun engines up|down|status`) share: running long tools with their
 * output in a log, spawning servers detached so they outlive the command, pid
 * files, waiting for a port, stopping, naming who holds a port, and a lock so that two
 * engines commands on one machine take turns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { tail, type RunOptions } from '../tool-process.js';

export class EngineError extends Error {}

// ---------------------------------------------------------------------------------------
// Running tools

/**
 * Runs a long tool (a download, a build) with its output in `logFile`, logging every
 * `progressEveryMs` that it still runs; rejects naming the tool and the end of its log.
 */
export const runLogged = async (
  what: string,
  file: string,
  args: readonly string[],
  options: RunOptions & { readonly logFile: string; readonly logger: Logger; readonly progressEveryMs?: number },
): Promise<void> => {
  const out = openSync(options.logFile, 'a');
  const from = fstatSync(out).size;
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
  } finally {
    closeSync(out);
  }
  const progress = setInterval(
    () => options.logger.info({ seconds: Math.round((Date.now() - started) / 1000) }, `still ${what}`),
    options.progressEveryMs ?? 30_000,
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  try {
    await new Promise<void>((done, fail) => {
      child.once('error', (error) => fail(new EngineError(`${what}: cannot run ${file}: ${error.message}`)));
      child.once('exit', (code, signal) => {
        if (code === 0) return done();
        void logTail(options.logFile, from).then((log) =>
          fail(
            new EngineError(
              `${what} failed (${file} ${signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` after ${options.timeoutMs} ms?` : ''}` : `exit code ${code}`})` +
                `${log ? `\n--- ${options.logFile} ---\n${log}` : ''}`,
            ),
          ),
        );
      });
    });
  } finally {
    clearInterval(progress);
    clearTimeout(timer);
  }
};

/** The absolute path of `name` in a folder of `PATH`, or null. */
export const onPath = (name: string, env: NodeJS.ProcessEnv = process.env): string | null => {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const candidate = resolve(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
};

/** The last lines written to `file` since byte `from`. */
export const logTail = async (file: string, from = 0, lines = 20): Promise<string> =>
  tail((await readFile(file).catch(() => Buffer.alloc(0))).subarray(from).toString('utf8'), lines);

// ---------------------------------------------------------------------------------------
// Processes

/**
 * Whether `pid` runs and, when `marker` is given, its command line contains it (a pid
 * file left by a reboot may name a pid some other program got since). A zombie nobody
 * reaped yet counts as gone.
 */
export const processAlive = (pid: number, marker?: string): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
    if (marker === undefined) return true;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return !existsSync('/proc/self') && marker === undefined;
  }
};

/** The first words of a process's command line, for messages: `1234 (java -Xmx512m ...)`. */
export const describeProcess = (pid: number): string => {
  try {
    const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const text = words.join(' ');
    return `${pid} (${text.length > 100 ? `${text.slice(0, 100)}...` : text})`;
  } catch {
    return String(pid);
  }
};

export const waitUntilGone = async (pid: number, ms: number): Promise<boolean> => {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100)) if (!processAlive(pid)) return true;
  return !processAlive(pid);
};

/** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
export const stopProcess = async (pid: number, name: string, timeoutMs: number, logger: Logger): Promise<void> => {
  const begun = Date.now();
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (!(await waitUntilGone(pid, timeoutMs))) {
    logger.warn({ pid, timeoutMs }, `${name} ignored SIGTERM: killing it`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    if (!(await waitUntilGone(pid, 10_000))) throw new EngineError(`${name} (pid ${pid}) survived SIGKILL`);
  }
  logger.info({ pid, ms: Date.now() - begun }, `${name} stopped`);
};

export type Spawned = {
  readonly pid: number;
  /** Rejects once the process has exited or could not start; never resolves. */
  readonly failed: Promise<never>;
  /** Stops listening for the child's exit, so that this program can end while it runs on. */
  readonly release: () => void;
};

/**
 * Starts a server in a session of its own (so a Ctrl-C or a kill of the command's
 * process group does not reach it), with stdout and stderr appended to `logFile`.
 */
export const spawnDetached = (
  name: string,
  file: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly logFile: string; readonly env?: NodeJS.ProcessEnv },
): Spawned => {
  const out = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new EngineError(`${name}: cannot run ${file}: ${error.message}`)));
    child.once('exit', (code, signal) => reject(new EngineError(`${name} exited with ${code ?? signal} before it answered`)));
  });
  failed.catch(() => undefined);
  if (child.pid === undefined) {
    // spawn failed synchronously enough to have no pid: `failed` rejects with the reason
    return { pid: -1, failed, release: () => undefined };
  }
  return {
    pid: child.pid,
    failed,
    release: () => {
      child.removeAllListeners('exit');
      child.unref();
    },
  };
};

// ---------------------------------------------------------------------------------------
// Pid files

export type PidFile = {
  readonly pid: number;
  /** Part of the process's command line that tells it apart from any other. */
  readonly marker: string;
  /** `host:port` it serves. */
  readonly address: string;
  readonly version: string;
  readonly startedAt: string;
};

export const readPidFile = async (file: string): Promise<PidFile | null> => {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as PidFile;
    return typeof parsed.pid === 'number' && typeof parsed.marker === 'string' ? parsed : null;
  } catch {
    return null;
  }
};

export const writePidFile = (file: string, content: PidFile): Promise<void> => writeFile(file, `${JSON.stringify(content)}\n`);

// ---------------------------------------------------------------------------------------
// Ports

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export const listening = (port: number, host = '127.0.0.1'): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect(port, host);
    socket.setTimeout(2_000, () => {
      socket.destroy();
      done(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });

/**
 * The pid of the process listening on TCP `port` (from /proc/net/tcp and the processes'
 * open sockets), or null when it cannot be told (another user's process, no /proc).
 */
export const portHolder = async (port: number): Promise<number | null> => {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      // state 0A is LISTEN
      if (!local || fields[3] !== '0A') continue;
      if (Number.parseInt(local.split(':')[1] ?? '', 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return null;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return Number(pid);
    }
  }
  return null;
};

/** Throws, naming the holder when it can, unless 127.0.0.1:`port` is free to listen on. */
export const assertPortFree = async (port: number, what: string, envVar: string): Promise<void> => {
  const problem = await new Promise<string | null>((done) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'EADDRINUSE' ? 'in use' : error.message));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => done(null)));
  });
  if (problem === null) return;
  const holder = problem === 'in use' ? await portHolder(port) : null;
  throw new EngineError(
    `${what} cannot listen on 127.0.0.1:${port}: ${problem === 'in use' ? 'the port is already in use' : problem}` +
      `${holder ? ` by process ${describeProcess(holder)}` : ''}; stop that or set ${envVar} to another port`,
  );
};

/** Resolves once 127.0.0.1:`port` accepts connections; rejects as soon as `failed` does, or after `timeoutMs`. */
export const waitForPort = async (port: number, timeoutMs: number, failed: Promise<never>, what: string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.race([listening(port), failed]))) {
    if (Date.now() > deadline) throw new EngineError(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await Promise.race([sleep(200), failed]);
  }
};

// ---------------------------------------------------------------------------------------
// Files

/** Whether every folder above and including `dir` can be entered by `uid`/`gid`; else the first that cannot. */
export const firstUntraversable = async (dir: string, uid: number, gid: number): Promise<{ dir: string; mode: string } | null> => {
  const chain: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    chain.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of chain) {
    const info = await stat(d).catch(() => null);
    if (!info) return null;
    const mode = info.mode & 0o777;
    const bit = info.uid === uid ? 0o100 : info.gid === gid ? 0o010 : 0o001;
    if ((mode & bit) === 0 && uid !== 0) return { dir: d, mode: mode.toString(8) };
  }
  return null;
};

// ---------------------------------------------------------------------------------------
// The lock

/**
 * Runs `body` holding `<dir>/engines.lock`, so that two engines commands do not start
 * the same server twice or stop one the other is starting. A lock whose holder is gone
 * is taken over.
 */
export const withLock = async <T>(dir: string, logger: Logger, body: () => Promise<T>, waitMs = 15 * 60_000): Promise<T> => {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'engines.lock');
  const deadline = Date.now() + waitMs;
  let announced = false;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (!Number.isInteger(holder) || !processAlive(holder)) {
      // a crashed command's lock, or one being written this instant: take it over if it stays so
      await sleep(200);
      const again = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (again === holder || Number.isNaN(again)) await rm(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new EngineError(`another engines command (pid ${holder}) has held ${file} for too long`);
    if (!announced) logger.info({ pid: holder, lock: file }, 'waiting for another engines command to finish');
    announced = true;
    await sleep(500);
  }
  try {
    return await body();
  } finally {
    await rm(file, { force: true });
  }
};
