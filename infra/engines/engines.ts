/**
 * `bosun engines up|down|status`: a real Kafka broker and a MongoDB-compatible server
 * (FerretDB on PostgreSQL) on loopback, installed by the project into its cache and run
 * as detached processes that outlive the command, for the integration suites and for
 * running Bosun against them.
 *
 * `up` prints only `KAFKA_BROKERS=...` and `MONGODB_URL=...` on stdout (its logs go to
 * stderr), so that `eval "$(bosun engines up)"` sets both.
 */
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from '../logger.js';
import { projectRoot } from '../project-root.js';
import { defaultCacheDir } from '../tool-process.js';
import { EngineError, withLock } from './engine-process.js';
import {
  FERRETDB_VERSION,
  ferretDbInstallDir,
  ferretDbPaths,
  installedFerretDb,
  installFerretDb,
  mongodbUrl,
  runningFerretDb,
  startFerretDb,
  stopFerretDb,
} from './ferretdb.js';
import { installedKafka, installKafka, KAFKA_VERSION, kafkaInstallDir, kafkaPaths, runningKafka, startKafka, stopKafka } from './kafka.js';
import { ensurePostgres, findPostgres, postgresPaths, runningPostgres, startPostgres, stopPostgres } from './postgres.js';

export const enginesUsage = `usage: bosun engines <up|down|status>

  up      install (once, into the cache) and start Kafka and FerretDB on PostgreSQL on
          127.0.0.1, wait until they answer, then print on stdout:
            KAFKA_BROKERS=127.0.0.1:19092
            MONGODB_URL=mongodb://127.0.0.1:27018/
          so that eval "$(bosun engines up)" sets both; already running: says so
  down    stop them
  status  whether each is installed (version, where) and runs (pid, address)

environment: BOSUN_CACHE_DIR (installs, default .cache/), BOSUN_ENGINES_DIR (data, logs,
pid files, default .cache/engines-run/), BOSUN_KAFKA_PORT (19092),
BOSUN_KAFKA_CONTROLLER_PORT (19093), BOSUN_FERRETDB_PORT (27018), BOSUN_POSTGRES_PORT
(15433), BOSUN_KAFKA_HEAP_OPTS ("-Xms256m -Xmx512m"), BOSUN_POSTGRES_BIN_DIR, LOG_LEVEL
`;

export type EnginesAction = 'up' | 'down' | 'status' | 'help';

export class EnginesUsageError extends Error {}

export const parseEnginesArgs = (args: readonly string[]): EnginesAction => {
  const [action, ...rest] = args;
  if (action === undefined || action === 'help' || action === '--help' || action === '-h') return 'help';
  if (action !== 'up' && action !== 'down' && action !== 'status') throw new EnginesUsageError(`unknown engines command "${action}"`);
  if (rest.length > 0) throw new EnginesUsageError(`bosun engines ${action} takes no arguments, not "${rest.join(' ')}"`);
  return action;
};

export type EnginesSettings = {
  /** Installs live in `<cacheDir>/engines/<engine>/<version>/`. */
  readonly cacheDir: string;
  /** Data, logs and pid files, one folder per engine. */
  readonly runDir: string;
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  readonly ferretdbPort: number;
  readonly postgresPort: number;
  readonly kafkaHeapOptions: readonly string[];
};

export const DEFAULT_PORTS = {
  BOSUN_KAFKA_PORT: 19092,
  BOSUN_KAFKA_CONTROLLER_PORT: 19093,
  BOSUN_FERRETDB_PORT: 27018,
  BOSUN_POSTGRES_PORT: 15433,
} as const;

const port = (env: NodeJS.ProcessEnv, name: keyof typeof DEFAULT_PORTS): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return DEFAULT_PORTS[name];
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new EngineError(`${name}=${raw} is not a TCP port (1-65535)`);
  return value;
};

/** The engines' settings from the environment; throws naming the variable that is wrong. */
export const enginesSettings = (env: NodeJS.ProcessEnv): EnginesSettings => {
  const ports = Object.fromEntries((Object.keys(DEFAULT_PORTS) as (keyof typeof DEFAULT_PORTS)[]).map((name) => [name, port(env, name)])) as Record<
    keyof typeof DEFAULT_PORTS,
    number
  >;
  const names = Object.keys(ports) as (keyof typeof DEFAULT_PORTS)[];
  for (const [i, a] of names.entries()) {
    for (const b of names.slice(i + 1)) {
      if (ports[a] === ports[b]) throw new EngineError(`${a} and ${b} are both ${ports[a]}: each engine needs a port of its own`);
    }
  }
  const heap = (env.BOSUN_KAFKA_HEAP_OPTS ?? '').trim();
  return {
    cacheDir: defaultCacheDir(env),
    runDir: env.BOSUN_ENGINES_DIR ? resolve(env.BOSUN_ENGINES_DIR) : join(projectRoot(), '.cache', 'engines-run'),
    kafkaPort: ports.BOSUN_KAFKA_PORT,
    kafkaControllerPort: ports.BOSUN_KAFKA_CONTROLLER_PORT,
    ferretdbPort: ports.BOSUN_FERRETDB_PORT,
    postgresPort: ports.BOSUN_POSTGRES_PORT,
    kafkaHeapOptions: heap ? heap.split(/\s+/) : ['-Xms256m', '-Xmx512m'],
  };
};

export type EnginesEndpoints = { readonly kafkaBrokers: string; readonly mongodbUrl: string };

/** What `up` prints on stdout: shell assignments, one a line. */
export const renderEnvLines = (endpoints: EnginesEndpoints): string => `KAFKA_BROKERS=${endpoints.kafkaBrokers}\nMONGODB_URL=${endpoints.mongodbUrl}\n`;

/** Runs every task to its end (an install is never left half-way by another's failure); throws one error naming all failures. */
const settleAll = async <T extends readonly unknown[]>(tasks: { [K in keyof T]: Promise<T[K]> }): Promise<T> => {
  const results = await Promise.allSettled(tasks);
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new EngineError(failures.map((failure) => (failure as Error).message).join('\n\n'));
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
};

/**
 * Installs what is missing, starts what is not running, and resolves once everything
 * answers: Kafka (a consumer group joined), PostgreSQL, FerretDB (a ping answered).
 * Installs run in parallel: the Kafka jars download while FerretDB builds.
 */
export const enginesUp = (settings: EnginesSettings, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<EnginesEndpoints> =>
  withLock(settings.runDir, logger, async () => {
    const started = Date.now();
    const kafka = (async () => {
      const install = await installKafka(settings.cacheDir, logger.child({ engine: 'kafka' }), env);
      return startKafka(
        {
          cacheDir: settings.cacheDir,
          runDir: settings.runDir,
          port: settings.kafkaPort,
          controllerPort: settings.kafkaControllerPort,
          heapOptions: settings.kafkaHeapOptions,
        },
        install,
        logger.child({ engine: 'kafka' }),
        env,
      );
    })();
    const mongo = (async () => {
      const pgLogger = logger.child({ engine: 'postgres' });
      const ferretLogger = logger.child({ engine: 'ferretdb' });
      const [install, postgres] = await settleAll<[Awaited<ReturnType<typeof installFerretDb>>, Awaited<ReturnType<typeof startPostgres>>]>([
        installFerretDb(settings.cacheDir, ferretLogger, env),
        (async () => startPostgres({ runDir: settings.runDir, port: settings.postgresPort }, await ensurePostgres(pgLogger, env), pgLogger, env))(),
      ]);
      return startFerretDb({ cacheDir: settings.cacheDir, runDir: settings.runDir, port: settings.ferretdbPort }, install, postgres.port, ferretLogger, env);
    })();
    const [broker, ferret] = await settleAll<[Awaited<typeof kafka>, Awaited<typeof mongo>]>([kafka, mongo]);
    const endpoints = { kafkaBrokers: broker.address, mongodbUrl: mongodbUrl(ferret.address) };
    logger.info(
      { ...endpoints, ms: Date.now() - started, runDir: settings.runDir },
      broker.alreadyRunning && ferret.alreadyRunning ? 'engines already running' : 'engines up',
    );
    return endpoints;
  });

/** Stops FerretDB, PostgreSQL and Kafka; answers which were running. */
export const enginesDown = (settings: EnginesSettings, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<string[]> =>
  withLock(settings.runDir, logger, async () => {
    const stopped: string[] = [];
    const kafka = stopKafka(settings.runDir, logger.child({ engine: 'kafka' })).then((was) => was && stopped.push('kafka'));
    const mongo = (async () => {
      if (await stopFerretDb(settings.runDir, logger.child({ engine: 'ferretdb' }))) stopped.push('ferretdb');
      if (await stopPostgres(settings.runDir, await findPostgres(env).catch(() => null), logger.child({ engine: 'postgres' }), env)) stopped.push('postgres');
    })();
    await settleAll([kafka, mongo]);
    logger.info({ stopped }, stopped.length ? 'engines stopped' : 'no engine was running');
    return stopped;
  });

export type EngineStatus = {
  readonly engine: 'kafka' | 'postgres' | 'ferretdb';
  /** Installed version and where, or null. */
  readonly installed: { readonly version: string; readonly path: string } | null;
  readonly running: { readonly pid: number; readonly address: string } | null;
  /** Its data and logs. */
  readonly dir: string;
  /** Where it would be installed, for a missing install. */
  readonly installPath: string;
};

export const enginesStatus = async (settings: EnginesSettings, env: NodeJS.ProcessEnv = process.env): Promise<EngineStatus[]> => {
  const kafka = installedKafka(settings.cacheDir);
  const ferret = installedFerretDb(settings.cacheDir);
  const postgres = await findPostgres(env).catch(() => null);
  const [kafkaRunning, ferretRunning, postgresRunning] = await Promise.all([
    runningKafka(settings.runDir),
    runningFerretDb(settings.runDir),
    runningPostgres(settings.runDir),
  ]);
  return [
    {
      engine: 'kafka',
      installed: kafka && { version: kafka.version, path: kafka.dir },
      running: kafkaRunning && { pid: kafkaRunning.pid, address: kafkaRunning.address },
      dir: kafkaPaths(settings.runDir).dir,
      installPath: kafkaInstallDir(settings.cacheDir),
    },
    {
      engine: 'postgres',
      installed: postgres && { version: postgres.version, path: postgres.binDir },
      running: postgresRunning && { pid: postgresRunning.pid, address: postgresRunning.address },
      dir: postgresPaths(settings.runDir).dir,
      installPath: 'apt-get install postgresql',
    },
    {
      engine: 'ferretdb',
      installed: ferret && { version: ferret.version, path: ferret.binary },
      running: ferretRunning && { pid: ferretRunning.pid, address: ferretRunning.address },
      dir: ferretDbPaths(settings.runDir).dir,
      installPath: ferretDbInstallDir(settings.cacheDir),
    },
  ];
};

/** One line per engine, for people. */
export const formatStatus = (statuses: readonly EngineStatus[]): string =>
  statuses
    .map((status) => {
      const installed = status.installed
        ? `${status.installed.version} ${status.engine === 'postgres' ? 'found' : 'installed'} (${status.installed.path})`
        : `not installed (up installs ${status.engine === 'kafka' ? KAFKA_VERSION : status.engine === 'ferretdb' ? FERRETDB_VERSION : 'it'}: ${status.installPath})`;
      const running = status.running ? `running: pid ${status.running.pid} on ${status.running.address}` : 'not running';
      return `${status.engine.padEnd(8)}  ${installed}; ${running}; data and logs in ${status.dir}`;
    })
    .join('\n')
    .concat('\n');

/** `bosun engines ...`: logs as JSON on stderr, output on stdout; failures set the exit code, never print on stdout. */
export const runEnginesCommand = async (args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> => {
  let action: EnginesAction;
  try {
    action = parseEnginesArgs(args);
  } catch (error) {
    process.stderr.write(`bosun: ${(error as Error).message}\n\n${enginesUsage}`);
    process.exitCode = 2;
    return;
  }
  if (action === 'help') {
    process.stdout.write(enginesUsage);
    return;
  }
  const logger = createLogger(env.LOG_LEVEL ?? 'info', 'stderr').child({ component: 'engines' });
  try {
    const settings = enginesSettings(env);
    if (action === 'up') process.stdout.write(renderEnvLines(await enginesUp(settings, logger, env)));
    else if (action === 'down') await enginesDown(settings, logger, env);
    else process.stdout.write(formatStatus(await enginesStatus(settings, env)));
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    logger.error({ problem, ...(error instanceof EngineError ? {} : { err: error }) }, `engines ${action} failed`);
    // the same for a person reading the terminal or a CI log: the JSON line escapes the log tails' newlines
    const after = action === 'up' ? '\n(engines that did start keep running: bosun engines status shows them, bosun engines down stops them)\n' : '';
    process.stderr.write(`\nbosun engines ${action} failed:\n${problem}\n${after}`);
    process.exitCode = 1;
  }
};
