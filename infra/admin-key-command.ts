/**
 * `bosun admin-key create [--name NAME]`: the way back for an operator who lost the system
 * team's admin key. It runs on the server's own event store (BOSUN_DATA_DIR, or
 * EVENTSTORE_URL), appends the key's issue through the command handler as any API request
 * does, with actor `system:cli` in its metadata for the audit, and prints the secret once
 * on stdout as JSON. Its own log goes to stderr.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { internalContext } from '../commands/command-context.js';
import { issueApiKey, systemTeamOf } from '../commands/teams.js';
import { loadEventSchemas } from '../events/event-schemas.js';
import type { EventStore } from '../events/event-store.js';
import { withUpcasting } from '../events/upcasting-event-store.js';
import { loadConfig } from './config.js';
import { DataDirectoryInUseError } from './embedded-event-store-files.js';
import { uuidv7 } from './ids.js';
import { createLogger } from './logger.js';
import { eventUpcasters, openEventStore } from './open-event-store.js';
import { openDataKeys } from './secret-keys.js';

const usage = `usage: bosun admin-key create [--name NAME]

  create   issue a new admin API key of the system team and print it once, as JSON

Runs on the data directory of BOSUN_DATA_DIR (default .data) or the KurrentDB at
EVENTSTORE_URL, as \`bosun serve\` does. The embedded event store has one writer: stop
Bosun first. With KurrentDB it may run beside Bosun.
`;

export class UsageError extends Error {}

/** The key's name; null when help was asked for. */
const parse = (argv: readonly string[]): { name: string } | null => {
  const [subcommand, ...rest] = argv;
  if (subcommand === 'help' || subcommand === '--help') return null;
  if (subcommand !== 'create') throw new UsageError(subcommand ? `unknown subcommand "${subcommand}"` : 'a subcommand is needed');
  let name = 'admin (recovered)';
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg !== '--name') throw new UsageError(`unknown argument "${arg}"`);
    const value = rest[++i];
    // As POST /api/v1/api-keys accepts it.
    if (!value || value.length > 200) throw new UsageError('--name needs a value of 1 to 200 characters');
    name = value;
  }
  return { name };
};

const create = async (name: string, env: NodeJS.ProcessEnv, logger: Logger): Promise<number> => {
  const config = loadConfig(env);
  if (!config.eventStoreUrl && !existsSync(join(config.dataDir, 'events.sqlite'))) {
    logger.error({ data_dir: config.dataDir }, 'no event store in the data directory: set BOSUN_DATA_DIR to the one Bosun serves, or start Bosun once');
    return 1;
  }
  let stored: EventStore;
  try {
    stored = await openEventStore(config, logger);
  } catch (error) {
    if (!(error instanceof DataDirectoryInUseError)) throw error;
    // Going through the running server would need the very key that was lost.
    logger.error({ data_dir: config.dataDir, file: error.file }, 'Bosun is running on this data directory: stop it, then run `bosun admin-key create` again');
    return 1;
  }
  const schemas = loadEventSchemas();
  const events = withUpcasting(stored, schemas, eventUpcasters);
  const dataKeys = openDataKeys(config, logger);
  try {
    const teamId = await systemTeamOf(events);
    if (teamId === null) {
      logger.error({ data_dir: config.dataDir }, 'the event log holds no system team: start Bosun once, it creates the system team and shows its admin key');
      return 1;
    }
    const correlationId = uuidv7();
    const result = await issueApiKey(
      { store: events, schemas, env: { now: () => new Date(), newId: () => uuidv7() }, secrets: dataKeys.secrets, personal: dataKeys.personal },
      internalContext({ tenant: teamId, actor: { type: 'system', id: 'cli' }, correlationId, userAgent: 'bosun admin-key create' }),
      { name, role: 'admin' },
    );
    logger.info(
      { team_id: teamId, key_id: result.issued.keyId, name, position: result.position, correlation_id: correlationId },
      'admin key of the system team created by the CLI',
    );
    process.stdout.write(
      `${JSON.stringify({ object: 'api_key', id: result.issued.keyId, team_id: teamId, name: result.issued.name, role: result.issued.role, key: result.issued.key })}\n`,
    );
    return 0;
  } finally {
    await dataKeys.close();
    await events.close();
  }
};

/** Answers the exit code: 0 done, 1 refused or failed, 2 wrong usage. */
export const runAdminKeyCommand = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> => {
  const logger = createLogger(env.LOG_LEVEL || 'info', 'stderr');
  let parsed: { name: string } | null;
  try {
    parsed = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bosun admin-key: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (parsed === null) {
    process.stdout.write(usage);
    return 0;
  }
  return create(parsed.name, env, logger);
};
