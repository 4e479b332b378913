/** `bosun agent [--dir <path>]`: the reference agent as a process, until SIGTERM or SIGINT. */
import { resolve } from 'node:path';
import { ConfigError } from '../infra/config.js';
import { createLogger } from '../infra/logger.js';
import { runAgent } from './runtime.js';

const dirArgument = (args: readonly string[]): string | undefined => {
  const [flag, value, ...rest] = args;
  if (flag === undefined) return undefined;
  if (flag.startsWith('--dir=') && value === undefined) return flag.slice('--dir='.length);
  if (flag === '--dir' && value !== undefined && rest.length === 0) return value;
  throw new ConfigError(`bosun agent takes only --dir <path>, not "${args.join(' ')}"`);
};

export const runAgentCommand = async (args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> => {
  const dir = dirArgument(args) ?? env.BOSUN_AGENT_DIR;
  if (!env.BOSUN_URL) throw new ConfigError('BOSUN_URL is required: where the agent reaches Bosun');
  if (!dir) throw new ConfigError('--dir or BOSUN_AGENT_DIR is required: the agent directory');
  const logger = createLogger(env.LOG_LEVEL ?? 'info').child({ component: 'agent' });
  const stop = new AbortController();
  // `once`: a second signal while stopping gets the default behaviour and ends the process at once.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'stopping');
      stop.abort();
    });
  }
  await runAgent({
    url: env.BOSUN_URL,
    dir: resolve(dir),
    registrationToken: env.BOSUN_REGISTRATION_TOKEN || undefined,
    logger,
    signal: stop.signal,
    provider: env.BOSUN_PROVIDER || 'local',
  });
};
