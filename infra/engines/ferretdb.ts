/**
 * A MongoDB-compatible server on loopback: FerretDB, which speaks MongoDB's wire protocol
 * and stores collections in PostgreSQL (see postgres.ts). MongoDB itself is on no
 * registry this project reaches; FerretDB is a Go module, built from its source once
 * into the cache.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { describeFailure, installAtomically, run } from '../tool-process.js';
import {
  assertPortFree,
  EngineError,
  logTail,
  onPath,
  processAlive,
  readPidFile,
  runLogged,
  spawnDetached,
  stopProcess,
  waitForPort,
  writePidFile,
  type PidFile,
} from './engine-process.js';

export const FERRETDB_VERSION = 'v1.24.2';
export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';

export type FerretDbSettings = { readonly cacheDir: string; readonly runDir: string; readonly port: number };

export type FerretDbInstall = { readonly version: string; readonly dir: string; readonly binary: string };

/** Where the binary of `version` is installed: `<cache>/engines/ferretdb/<version>/ferretdb`. */
export const ferretDbInstallDir = (cacheDir: string, version = FERRETDB_VERSION): string => join(cacheDir, 'engines', 'ferretdb', version);

export const ferretDbPaths = (runDir: string) => {
  const dir = join(runDir, 'ferretdb');
  return { dir, stateDir: join(dir, 'state'), logFile: join(dir, 'ferretdb.log'), pidFile: join(dir, 'ferretdb.pid') };
};

/** The URL of the database FerretDB keeps its collections in. */
export const postgresUrl = (port: number): string => `postgres://postgres@127.0.0.1:${port}/ferretdb`;

/** What `mongodb` clients connect to. */
export const mongodbUrl = (address: string): string => `mongodb://${address}/`;

/** The server's command line (after the binary). `--state-dir` is unique to the run folder, so it marks the process as ours. */
export const ferretDbArgs = (options: { readonly port: number; readonly postgresPort: number; readonly stateDir: string }): string[] => [
  '--handler=postgresql',
  `--postgresql-url=${postgresUrl(options.postgresPort)}`,
  `--listen-addr=127.0.0.1:${options.port}`,
  `--state-dir=${options.stateDir}`,
  '--telemetry=disable',
  // no debug HTTP listener: one port fewer to clash
  '--debug-addr=-',
  // at warn it logs each client's disconnection and each unsupported command it answers
  '--log-level=error',
];

export const installedFerretDb = (cacheDir: string): FerretDbInstall | null => {
  const dir = ferretDbInstallDir(cacheDir);
  const binary = join(dir, 'ferretdb');
  return existsSync(binary) && existsSync(join(dir, 'install.json')) ? { version: FERRETDB_VERSION, dir, binary } : null;
};

const findGo = (env: NodeJS.ProcessEnv): string => {
  const fromRoot = env.GOROOT ? join(env.GOROOT, 'bin', 'go') : null;
  if (fromRoot && existsSync(fromRoot)) return fromRoot;
  const found = onPath('go', env) ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : null);
  if (!found) throw new EngineError('cannot install ferretdb: it is built from source and needs Go (go on PATH or in /usr/local/go/bin)');
  return found;
};

/**
 * Downloads FerretDB's module source with the Go toolchain (from the Go module proxy),
 * copies it into a scratch folder, writes the version file its own build tool would
 * generate (without it the binary panics at start), builds `cmd/ferretdb` without the
 * SQLite backend (a third of the build time), checks the binary, and renames the folder
 * into place. Takes two to three minutes on two cores.
 */
export const installFerretDb = async (cacheDir: string, logger: Logger, env: NodeJS.ProcessEnv): Promise<FerretDbInstall> => {
  const installed = installedFerretDb(cacheDir);
  if (installed) return installed;
  const target = ferretDbInstallDir(cacheDir);
  const go = findGo(env);
  // the module cache's files writable, so that a cache folder can be removed with rm -rf;
  // no VCS stamping (the source is copied out of any repository)
  const goEnv: NodeJS.ProcessEnv = { ...env, GOFLAGS: '-modcacherw -buildvcs=false', GOWORK: 'off', GO111MODULE: 'on', CGO_ENABLED: '0' };
  // Go keeps its caches under HOME; without one (a bare CI environment) they go in Bosun's cache
  if (!env.HOME && !env.GOCACHE && !env.XDG_CACHE_HOME) goEnv.GOCACHE = join(cacheDir, 'engines', 'go', 'build');
  if (!env.HOME && !env.GOPATH && !env.GOMODCACHE) goEnv.GOPATH = join(cacheDir, 'engines', 'go', 'path');
  const started = Date.now();
  let downloaded = started;
  await installAtomically({
    base: join(cacheDir, 'engines', 'ferretdb'),
    target,
    installed: () => installedFerretDb(cacheDir) !== null,
    failure: (message) => new EngineError(`cannot install ferretdb: ${message}`),
    build: async (scratch) => {
      const logFile = join(scratch, 'build.log');
      try {
        return await buildFerretDb({ scratch, logFile, go, goEnv, logger, onDownloaded: () => (downloaded = Date.now()) });
      } catch (error) {
        if (error instanceof EngineError) throw error;
        throw new EngineError(
          `cannot install ferretdb: ${(error as Error).message}${existsSync(logFile) ? `\n--- ${logFile} ---\n${await logTail(logFile)}` : ''}`,
        );
      }
    },
  });
  logger.info(
    { version: FERRETDB_VERSION, binary: join(target, 'ferretdb'), downloadMs: downloaded - started, buildMs: Date.now() - downloaded },
    'ferretdb installed',
  );
  return installedFerretDb(cacheDir)!;
};

/** Downloads the module's source, builds the binary and checks it; answers the folder to move into place. */
const buildFerretDb = async (build: {
  readonly scratch: string;
  readonly logFile: string;
  readonly go: string;
  readonly goEnv: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly onDownloaded: () => void;
}): Promise<string> => {
  const { scratch, logFile, go, goEnv, logger, onDownloaded } = build;
  logger.info({ version: FERRETDB_VERSION }, 'ferretdb: downloading its source and building it with Go (two to three minutes)');
  let moduleDir: string;
  try {
    const { stdout } = await run(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], {
      cwd: scratch,
      env: { ...goEnv, GOFLAGS: `${goEnv.GOFLAGS} -mod=mod` },
      timeoutMs: 10 * 60_000,
    });
    const info = JSON.parse(stdout) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(info.Error ?? 'no Dir in its answer');
    moduleDir = info.Dir;
  } catch (error) {
    throw new EngineError(`cannot install ferretdb: go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION} failed: ${describeFailure(error)}`);
  }
  const src = join(scratch, 'src');
  try {
    await run('cp', ['-R', moduleDir, src], { timeoutMs: 120_000 });
    await run('chmod', ['-R', 'u+w', src], { timeoutMs: 120_000 });
  } catch (error) {
    throw new EngineError(`cannot install ferretdb: copying its source from ${moduleDir} failed: ${describeFailure(error)}`);
  }
  await writeFile(join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
  await writeFile(join(src, 'build', 'version', 'package.txt'), 'bosun\n');
  const out = join(scratch, 'out');
  await mkdir(out);
  onDownloaded();
  await runLogged('building ferretdb', go, ['build', '-tags', 'ferretdb_no_sqlite', '-trimpath', '-o', join(out, 'ferretdb'), './cmd/ferretdb'], {
    cwd: src,
    env: goEnv,
    timeoutMs: 20 * 60_000,
    logFile,
    logger,
  });
  let version: string;
  try {
    version = (await run(join(out, 'ferretdb'), ['--version'], { timeoutMs: 30_000 })).stdout;
  } catch (error) {
    throw new EngineError(`cannot install ferretdb: the built binary does not run: ${describeFailure(error)}`);
  }
  if (!version.includes(`version: ${FERRETDB_VERSION}`)) {
    throw new EngineError(`cannot install ferretdb: the built binary says "${version.trim().split('\n')[0]}", not version ${FERRETDB_VERSION}`);
  }
  await writeFile(
    join(out, 'install.json'),
    `${JSON.stringify({ engine: 'ferretdb', version: FERRETDB_VERSION, tags: ['ferretdb_no_sqlite'], installedAt: new Date().toISOString() })}\n`,
  );
  return out;
};

export const runningFerretDb = async (runDir: string): Promise<PidFile | null> => {
  const { pidFile } = ferretDbPaths(runDir);
  const content = await readPidFile(pidFile);
  if (!content) return null;
  if (processAlive(content.pid, content.marker)) return content;
  await rm(pidFile, { force: true });
  return null;
};

/** Resolves once a MongoDB client's `ping` is answered at `url`. */
export const waitForPing = async (url: string, timeoutMs: number, failed: Promise<never>): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000, directConnection: true });
    try {
      await Promise.race([client.connect().then(() => client.db('admin').command({ ping: 1 })), failed]);
      return;
    } catch (error) {
      if (error instanceof EngineError) throw error;
      lastError = error;
    } finally {
      await client.close().catch(() => undefined);
    }
    await Promise.race([sleep(250), failed]);
  }
  throw new EngineError(`ferretdb did not answer a ping at ${url} within ${timeoutMs} ms: ${(lastError as Error | undefined)?.message ?? 'no answer'}`);
};

/** Starts FerretDB on PostgreSQL at `postgresPort` unless it runs; resolves once it answers a ping. */
export const startFerretDb = async (
  settings: FerretDbSettings,
  install: FerretDbInstall,
  postgresPort: number,
  logger: Logger,
  env: NodeJS.ProcessEnv,
): Promise<PidFile & { readonly alreadyRunning: boolean }> => {
  const paths = ferretDbPaths(settings.runDir);
  const running = await runningFerretDb(settings.runDir);
  if (running) {
    try {
      await waitForPing(mongodbUrl(running.address), 30_000, new Promise<never>(() => undefined));
    } catch (error) {
      throw new EngineError(`ferretdb runs (pid ${running.pid}) but ${(error as Error).message}; see ${paths.logFile}, or restart it with bosun engines down`);
    }
    logger.info({ pid: running.pid, address: running.address }, 'ferretdb already running');
    return { ...running, alreadyRunning: true };
  }
  await mkdir(paths.stateDir, { recursive: true });
  await assertPortFree(settings.port, 'ferretdb', 'BOSUN_FERRETDB_PORT');
  const address = `127.0.0.1:${settings.port}`;
  const from = (await readFile(paths.logFile).catch(() => Buffer.alloc(0))).length;
  const started = Date.now();
  const child = spawnDetached('ferretdb', install.binary, ferretDbArgs({ port: settings.port, postgresPort, stateDir: paths.stateDir }), {
    cwd: paths.dir,
    logFile: paths.logFile,
    env,
  });
  const pidFile: PidFile = { pid: child.pid, marker: `--state-dir=${paths.stateDir}`, address, version: install.version, startedAt: new Date().toISOString() };
  try {
    await writePidFile(paths.pidFile, pidFile);
    await waitForPort(settings.port, 60_000, child.failed, 'ferretdb');
    await waitForPing(mongodbUrl(address), 60_000, child.failed);
  } catch (error) {
    if (processAlive(child.pid)) await stopProcess(child.pid, 'ferretdb', 10_000, logger).catch(() => undefined);
    await rm(paths.pidFile, { force: true });
    const log = await logTail(paths.logFile, from);
    throw new EngineError(`${(error as Error).message}${log ? `\n--- ${paths.logFile} ---\n${log}` : ''}`);
  } finally {
    child.release();
  }
  logger.info({ pid: child.pid, address, ms: Date.now() - started, logFile: paths.logFile }, 'ferretdb started');
  return { ...pidFile, alreadyRunning: false };
};

export const stopFerretDb = async (runDir: string, logger: Logger): Promise<boolean> => {
  const running = await runningFerretDb(runDir);
  if (!running) return false;
  await stopProcess(running.pid, 'ferretdb', 15_000, logger);
  await rm(ferretDbPaths(runDir).pidFile, { force: true });
  return true;
};
