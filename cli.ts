#!/usr/bin/env node
/** `bosun <command>`: the one entry point. */
import { ConfigError, loadConfig } from './infra/config.js';
import { createLogger } from './infra/logger.js';

const usage = `usage: bosun <command>

commands:
  serve     start the API, projections and everything configured by the environment
  agent     [--dir <path>] run the reference agent (docs/agent-api.md) until SIGTERM
  engines   up|down|status: real Kafka and FerretDB (MongoDB wire protocol) on 127.0.0.1,
            installed into the cache; up prints KAFKA_BROKERS=... and MONGODB_URL=...
  projections rebuild <name> | verify [name] | status
            rebuild, verify or report the read models of the running Bosun
  replay    --to <time|position> --out <dir> (--export | --serve <port>)
            rebuild every read model as of a past moment into <dir>, then export it as
            NDJSON or serve the API read-only; reads the log beside a running Bosun
  admin-key create [--name <name>]
            issue a new admin key of the system team (a lost first key) and print it once
            as JSON; run on the server's data directory while Bosun is stopped
  audit     verify [--seals <file>] [--public-key <pem>] | seals [--out <file>]
            check the log's hash chains and seals, naming the first event changed,
            removed, inserted or reordered; export the seals for an auditor
  help      show this text

environment: PORT, HOST, BOSUN_DATA_DIR, BOSUN_ADMIN_KEY, EVENTSTORE_URL, BOSUN_RATE_LIMIT,
BOSUN_READ_WAIT_MS, BOSUN_AUDIT_SIGNING_KEY, BOSUN_AUDIT_SEAL_EVENTS, BOSUN_AUDIT_SEAL_SECONDS, LOG_LEVEL
(see README.md)
agent environment: BOSUN_URL, BOSUN_REGISTRATION_TOKEN, BOSUN_AGENT_DIR, BOSUN_PROVIDER, LOG_LEVEL
`;

// Each command loads only what it runs: an agent starts in a fraction of the server's load time.
const serve = async () => {
  const { startBosun } = await import('./main.js');
  const bosun = await startBosun(loadConfig());
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    bosun.logger.info({ signal }, 'stopping');
    await bosun.close();
    process.exit(0);
  };
  // SIGHUP too: a closed terminal would otherwise kill Bosun without stopping the Temporal dev
  // server, which runs in a session of its own (infra/temporal/dev-server.ts).
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  // A Bosun that cannot become ready (the logged cause: say, its workflow engine does not
  // start) stops and exits non-zero, so that a supervisor starts it again, rather than
  // answering 503 until someone notices.
  await bosun.ready.catch(async () => {
    stopping = true;
    await bosun.close();
    process.exit(1);
  });
};

const main = async (command: string | undefined) => {
  switch (command) {
    case 'serve':
      return serve();
    case 'projections': {
      const { runProjectionsCommand } = await import('./infra/projections-command.js');
      process.exitCode = await runProjectionsCommand(process.argv.slice(3), process.env);
      return;
    }
    case 'replay': {
      const { runReplayCommand } = await import('./infra/replay-command.js');
      process.exitCode = await runReplayCommand(process.argv.slice(3), process.env);
      return;
    }
    case 'admin-key': {
      const { runAdminKeyCommand } = await import('./infra/admin-key-command.js');
      process.exitCode = await runAdminKeyCommand(process.argv.slice(3), process.env);
      return;
    }
    case 'audit': {
      const { runAuditCommand } = await import('./infra/audit-command.js');
      process.exitCode = await runAuditCommand(process.argv.slice(3), process.env);
      return;
    }
    case 'agent': {
      const { runAgentCommand } = await import('./agent/command.js');
      return runAgentCommand(process.argv.slice(3), process.env);
    }
    case 'engines': {
      const { runEnginesCommand } = await import('./infra/engines/engines.js');
      return runEnginesCommand(process.argv.slice(3), process.env);
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(usage);
      return;
    default:
      process.stderr.write(`bosun: unknown command "${command}"\n\n${usage}`);
      process.exitCode = 2;
  }
};

main(process.argv[2]).catch((error: unknown) => {
  const logger = createLogger('info');
  if (error instanceof ConfigError) logger.fatal({ problem: error.message }, 'invalid configuration');
  else logger.fatal({ err: error }, 'bosun failed');
  process.exitCode = 1;
});
