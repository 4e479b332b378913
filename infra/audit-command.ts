/**
 * `bosun audit verify|seals`: checks the log's hash chains (events/audit-verify.ts) and
 * exports its seals for an auditor to keep outside Bosun. Runs on the server's own event
 * store (BOSUN_DATA_DIR, or EVENTSTORE_URL); the report is JSON on stdout, progress and
 * logs go to stderr.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { systemTeamOf } from '../commands/teams.js';
import { sealEventType, type Seal } from '../events/audit-seal.js';
import { verifyLog } from '../events/audit-verify.js';
import { loadEventSchemas } from '../events/event-schemas.js';
import type { EventStore } from '../events/event-store.js';
import { auditStream } from '../events/streams.js';
import { loadConfig } from './config.js';
import { DataDirectoryInUseError } from './embedded-event-store-files.js';
import { createLogger } from './logger.js';
import { openEventStore } from './open-event-store.js';

const usage = `usage: bosun audit <subcommand>

  verify [--seals <file>] [--public-key <pem>]
           recompute every event's hash over the whole log, follow each stream's chain
           and the global chain against the seals (those in the log, or those of <file>);
           with --public-key every seal must be signed by that Ed25519 key. Prints a JSON
           report naming the first problem; exits 0 when the log is intact, 1 when not
  seals [--out <file>]
           export the log's seals as NDJSON (to <file>, else stdout) for an auditor to keep

Runs on the data directory of BOSUN_DATA_DIR (default .data) or the KurrentDB at
EVENTSTORE_URL, as \`bosun serve\` does. The embedded event store has one writer: stop
Bosun first. With KurrentDB it may run beside Bosun.
`;

class UsageError extends Error {}

type Parsed = { command: 'help' } | { command: 'verify'; seals: string | null; publicKey: string | null } | { command: 'seals'; out: string | null };

const parse = (argv: readonly string[]): Parsed => {
  const [subcommand, ...rest] = argv;
  if (subcommand === 'help' || subcommand === '--help') return { command: 'help' };
  const allowed = subcommand === 'verify' ? ['--seals', '--public-key'] : subcommand === 'seals' ? ['--out'] : null;
  if (!allowed) throw new UsageError(subcommand ? `unknown subcommand "${subcommand}"` : 'a subcommand is needed');
  const values = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i] as string;
    const value = rest[i + 1];
    if (!allowed.includes(flag)) throw new UsageError(`unknown argument "${flag}" of ${subcommand}`);
    if (!value) throw new UsageError(`${flag} needs a file`);
    values.set(flag, value);
  }
  return subcommand === 'verify'
    ? { command: 'verify', seals: values.get('--seals') ?? null, publicKey: values.get('--public-key') ?? null }
    : { command: 'seals', out: values.get('--out') ?? null };
};

/** The seals the log holds: the system team's audit stream. */
export const sealsInLog = async (events: EventStore): Promise<Seal[]> => {
  const teamId = await systemTeamOf(events);
  if (teamId === null) return [];
  return (await events.readStream(auditStream(teamId))).filter((event) => event.type === sealEventType).map((event) => event.data as Seal);
};

/** An auditor's seals: one `audit.sealed` payload per line, each checked against its schema. */
const readSealsFile = (file: string): Seal[] => {
  const schemas = loadEventSchemas();
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => {
      try {
        const seal = JSON.parse(line) as unknown;
        schemas.validate(sealEventType, seal);
        return seal as Seal;
      } catch (error) {
        throw new UsageError(`${file} line ${number} is not a seal: ${(error as Error).message}`);
      }
    });
};

const readPublicKey = (file: string): KeyObject => {
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(file));
  } catch (error) {
    throw new UsageError(`--public-key must name a readable PEM file of an Ed25519 key; ${file}: ${(error as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new UsageError(`--public-key must be an Ed25519 key; ${file} holds a ${String(key.asymmetricKeyType)} key`);
  return key;
};

const progressDrawer = (progress: NodeJS.WriteStream) => {
  const startedAt = Date.now();
  let drawnAt = 0;
  return {
    draw: ({ events, position, head }: { events: number; position: number; head: number }) => {
      const now = Date.now();
      if (now - drawnAt < (progress.isTTY ? 200 : 2000)) return;
      drawnAt = now;
      const percent = head > 0 ? Math.min(100, Math.floor((100 * position) / head)) : 100;
      const perSecond = Math.round((events * 1000) / Math.max(1, now - startedAt));
      const shown = `audit verify: ${percent}% (position ${position} of ${head}), ${events.toLocaleString('en')} events, ${perSecond.toLocaleString('en')} events/s`;
      progress.write(progress.isTTY ? `\r\x1b[2K${shown}` : `${shown}\n`);
    },
    end: () => {
      if (progress.isTTY && drawnAt > 0) progress.write('\n');
    },
  };
};

const withStore = async (env: NodeJS.ProcessEnv, logger: Logger, run: (events: EventStore) => Promise<number>): Promise<number> => {
  // An auditor checks with the public key; the private one may well be out of their reach.
  const config = loadConfig({ ...env, BOSUN_AUDIT_SIGNING_KEY: '' });
  if (!config.eventStoreUrl && !existsSync(join(config.dataDir, 'events.sqlite'))) {
    logger.error({ data_dir: config.dataDir }, 'no event store in the data directory: set BOSUN_DATA_DIR to the one Bosun serves');
    return 1;
  }
  let events: EventStore;
  try {
    events = await openEventStore(config, logger);
  } catch (error) {
    if (!(error instanceof DataDirectoryInUseError)) throw error;
    logger.error({ data_dir: config.dataDir, file: error.file }, 'Bosun is running on this data directory: stop it, then run `bosun audit` again');
    return 1;
  }
  try {
    return await run(events);
  } finally {
    await events.close();
  }
};

/** Answers the exit code: 0 intact or done, 1 not intact or failed, 2 wrong usage. */
export const runAuditCommand = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> => {
  const logger = createLogger(env.LOG_LEVEL || 'warn', 'stderr');
  let parsed: Parsed;
  let seals: Seal[] | null = null;
  let publicKey: KeyObject | null = null;
  try {
    parsed = parse(argv);
    if (parsed.command === 'verify') {
      seals = parsed.seals === null ? null : readSealsFile(parsed.seals);
      publicKey = parsed.publicKey === null ? null : readPublicKey(parsed.publicKey);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bosun audit: ${error.message}\n\n${usage}`);
    return 2;
  }
  switch (parsed.command) {
    case 'help':
      process.stdout.write(usage);
      return 0;
    case 'seals': {
      const { out } = parsed;
      return withStore(env, logger, async (events) => {
        const lines = (await sealsInLog(events)).map((seal) => `${JSON.stringify(seal)}\n`).join('');
        if (out) writeFileSync(out, lines);
        else process.stdout.write(lines);
        return 0;
      });
    }
    case 'verify':
      return withStore(env, logger, async (events) => {
        const progress = progressDrawer(process.stderr);
        const report = await verifyLog(events, {
          seals: seals ? { source: 'file', list: seals } : { source: 'log', list: await sealsInLog(events) },
          publicKey,
          onProgress: progress.draw,
        });
        progress.end();
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return report.intact ? 0 : 1;
      });
  }
};
