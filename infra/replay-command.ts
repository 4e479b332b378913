/**
 * `bosun replay --to <time|position> --out <dir> (--export | --serve <port>)`: every read
 * model rebuilt as of a past moment into scratch storage, then exported as NDJSON or served
 * read-only. It reads the log without taking it: beside a running Bosun too.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createReplayApp } from '../api/replay-app.js';
import { exportReplay, type ReplayManifest } from '../api/replay-export.js';
import { loadEventSchemas } from '../events/event-schemas.js';
import { lookupProjectors, readModelProjectors } from '../projections/read-models.js';
import type { ReadStore } from '../projections/read-store.js';
import { logAsOf, ReplayCutError, replayReadModels, resolveCut, type ReplayCut, type ReplayProgress, type ReplayTarget } from '../projections/replay.js';
import { loadConfig, type Config } from './config.js';
import { openEmbeddedEventLog, type EventLog } from './embedded-event-log-reader.js';
import { openEmbeddedReadStore } from './embedded-read-store.js';
import { createLogger } from './logger.js';
import type { MongoReadStore } from './mongo-read-store.js';
import { openEventStore, readableEvents } from './open-event-store.js';
import { formatProgress } from './projections-command.js';
import { openDataKeys } from './secret-keys.js';

const usage = `usage: bosun replay --to <TIME|POSITION> --out <DIR> (--export | --serve <PORT>) [options]

  --to TIME|POSITION  an RFC 3339 time (the cut is the last event that occurred at or
                      before it) or a log position (that event is the last applied)
  --out DIR           a new or empty directory: the replayed store (replay.sqlite) and exports
  --export            write <DIR>/<collection>.ndjson and <DIR>/manifest.json, then exit
  --serve PORT        serve the API read-only as of the cut on PORT until SIGINT/SIGTERM
  --host HOST         where --serve listens (default 127.0.0.1)
  --mongodb-url URL   rebuild the read models in a scratch database of this server
                      (default MONGODB_URL; none: all of it in DIR/replay.sqlite)
  --keep              keep the scratch database afterwards (dropped by default)

Reads the log of BOSUN_DATA_DIR (default .data) or the KurrentDB at EVENTSTORE_URL,
read-only: Bosun may be running.
`;

export class ReplayUsageError extends Error {}

export type ReplayOptions = {
  readonly to: string;
  readonly out: string;
  readonly mode: { readonly export: true } | { readonly serve: number; readonly host: string };
  readonly mongodbUrl: string | null;
  readonly keep: boolean;
};

/** The options of `argv`; null when help was asked for. */
export const parseReplayArgs = (argv: readonly string[], env: NodeJS.ProcessEnv): ReplayOptions | null => {
  if (argv[0] === 'help' || argv[0] === '--help') return null;
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--export' || arg === '--keep') flags.add(arg);
    else if (['--to', '--out', '--serve', '--host', '--mongodb-url'].includes(arg)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new ReplayUsageError(`${arg} needs a value`);
      values.set(arg, value);
    } else throw new ReplayUsageError(`unknown argument "${arg}"`);
  }
  const to = values.get('--to');
  if (!to) throw new ReplayUsageError('--to is needed: an RFC 3339 time or a log position');
  const out = values.get('--out');
  if (!out) throw new ReplayUsageError('--out is needed: a new or empty directory');
  const serve = values.get('--serve');
  if (flags.has('--export') === (serve !== undefined)) throw new ReplayUsageError('one of --export or --serve PORT is needed');
  if (serve !== undefined && !(/^\d+$/.test(serve) && Number(serve) <= 65_535)) {
    throw new ReplayUsageError(`--serve ${serve}: a port is a whole number from 0 to 65535`);
  }
  if (values.has('--host') && serve === undefined) throw new ReplayUsageError('--host goes with --serve');
  return {
    to,
    out: resolve(out),
    mode: serve === undefined ? { export: true } : { serve: Number(serve), host: values.get('--host') ?? '127.0.0.1' },
    mongodbUrl: values.get('--mongodb-url') ?? (env.MONGODB_URL || null),
    keep: flags.has('--keep'),
  };
};

export type Replay = {
  readonly cut: ReplayCut;
  /** Set by --export. */
  readonly manifest: ReplayManifest | null;
  /** Set by --serve. */
  readonly url: string | null;
  /** The scratch database, if the read models went to MongoDB. */
  readonly database: string | null;
  /** Stops serving; drops the scratch database unless kept. */
  readonly close: () => Promise<void>;
};

const openLog = async (config: Pick<Config, 'dataDir' | 'eventStoreUrl'>, logger: Logger): Promise<EventLog> =>
  config.eventStoreUrl ? openEventStore(config, logger) : openEmbeddedEventLog(config.dataDir);

export type ReplayProgressListeners = {
  /** While the read models are rebuilt. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Each step before and after the rebuild, in words. */
  readonly onStep?: (step: string) => void;
};

/** Replays as `options` say; for --serve, answers once it listens. */
export const startReplay = async (
  options: ReplayOptions,
  config: Pick<Config, 'dataDir' | 'eventStoreUrl' | 'rateLimitPerSecond' | 'masterKey'>,
  logger: Logger,
  progress: ReplayProgressListeners = {},
): Promise<Replay> => {
  const { onProgress } = progress;
  const say = progress.onStep ?? (() => undefined);
  const log = await openLog(config, logger);
  // The data keys reveal personal data in exports and answers as the live API does; erased subjects stay erased.
  const dataKeys = openDataKeys(config, logger);
  const cleanups: (() => Promise<void>)[] = [() => log.close(), () => dataKeys.close()];
  const cleanUp = async () => {
    for (const step of cleanups.splice(0).reverse()) await step();
  };
  try {
    if (!/^\d+$/.test(options.to)) say(`finding the last event that occurred at or before ${options.to} (a read of the whole log)`);
    const cut = await resolveCut(log, options.to);
    say(`cut at position ${cut.position} (occurred at ${cut.occurred_at}); the log's head is ${cut.head}`);
    mkdirSync(options.out, { recursive: true });
    if (readdirSync(options.out).length > 0) throw new ReplayUsageError(`--out ${options.out}: not empty; a replay needs a new or empty directory`);
    const lookups = openEmbeddedReadStore({ file: join(options.out, 'replay.sqlite'), logger });
    cleanups.push(() => lookups.close());
    let readStore: ReadStore = lookups;
    let database: string | null = null;
    if (options.mongodbUrl) {
      const { openMongoReadStore } = await import('./mongo-read-store.js');
      database = `bosun_replay_${cut.position}_${randomBytes(4).toString('hex')}`;
      const mongo: MongoReadStore = openMongoReadStore({ url: options.mongodbUrl, database, logger });
      cleanups.push(async () => {
        if (options.keep) logger.info({ database }, 'replay: scratch database kept');
        else await mongo.dropDatabase();
        await mongo.close();
      });
      readStore = mongo;
    }
    const targets: ReplayTarget[] =
      readStore === lookups
        ? [{ label: 'lookups and read models', store: lookups, projectors: [...lookupProjectors, ...readModelProjectors] }]
        : [
            { label: 'lookups', store: lookups, projectors: lookupProjectors },
            { label: 'read models', store: readStore, projectors: readModelProjectors },
          ];
    const schemas = loadEventSchemas();
    const events = readableEvents(logAsOf(log, cut), schemas, dataKeys.personal);
    const results = await replayReadModels({ log: events, targets, ...(onProgress ? { onProgress } : {}) });
    logger.info({ cut, passes: results }, 'replay: read models rebuilt');
    if ('export' in options.mode) {
      const manifest = await exportReplay({
        lookups,
        readStore,
        cut,
        dir: options.out,
        replayedAt: new Date(),
        personal: dataKeys.personal,
        onWritten: (file, documents) => say(`wrote ${join(options.out, file)}: ${documents.toLocaleString('en')} documents`),
      });
      await cleanUp();
      return { cut, manifest, url: null, database, close: async () => undefined };
    }
    const app = createReplayApp({
      log: events,
      cut,
      schemas,
      readStore,
      lookups,
      logger,
      rateLimitPerSecond: config.rateLimitPerSecond,
      personal: dataKeys.personal,
    });
    const { serve, host } = options.mode;
    const server: Server = await new Promise((resolveListening, reject) => {
      const listening = app.listen(serve, host, () => resolveListening(listening));
      listening.once('error', reject);
    });
    cleanups.push(
      () =>
        new Promise<void>((closed) => {
          server.close(() => closed());
          server.closeAllConnections();
        }),
    );
    const url = `http://${host}:${(server.address() as AddressInfo).port}`;
    logger.info({ url, cut }, 'replay: serving read-only');
    return { cut, manifest: null, url, database, close: cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
};

/** Answers the exit code: 0 done, 1 failed, 2 wrong usage or a `--to` the log cannot answer. */
export const runReplayCommand = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> => {
  let options: ReplayOptions | null;
  try {
    options = parseReplayArgs(argv, env);
  } catch (error) {
    if (!(error instanceof ReplayUsageError)) throw error;
    process.stderr.write(`bosun replay: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(usage);
    return 0;
  }
  const config = loadConfig(env);
  // Steps and progress tell what happens on stderr; the log adds warnings and errors unless LOG_LEVEL asks for more.
  const logger = createLogger(env.LOG_LEVEL || 'warn', 'stderr');
  const progress = process.stderr;
  /** On a terminal the progress redraws one line, which the next step line must end first. */
  let drawing = false;
  const endLine = () => {
    if (drawing) progress.write('\n');
    drawing = false;
  };
  const draw = (p: ReplayProgress) => {
    const shown = formatProgress({ ...p, runner: 'replay', projection: `${p.projection} (pass ${p.step} of ${p.steps})` });
    progress.write(progress.isTTY ? `\r\x1b[2K${shown}` : `${shown}\n`);
    drawing = progress.isTTY;
  };
  let replay: Replay;
  try {
    replay = await startReplay(options, config, logger, {
      onProgress: draw,
      onStep: (step) => {
        endLine();
        progress.write(`${step}\n`);
      },
    });
  } catch (error) {
    endLine();
    process.stderr.write(`bosun replay: ${(error as Error).message}\n`);
    return error instanceof ReplayCutError || error instanceof ReplayUsageError ? 2 : 1;
  }
  endLine();
  if (replay.manifest) {
    process.stdout.write(`${JSON.stringify(replay.manifest, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${JSON.stringify({ url: replay.url, cut: replay.cut, mongodb_database: replay.database })}\n`);
  await new Promise<void>((stopped) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stopped());
  });
  await replay.close();
  return 0;
};
