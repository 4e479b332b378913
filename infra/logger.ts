import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs, on stdout by default; on stderr for programs whose stdout is
 * their output (a benchmark prints its figures there).
 */
export const createLogger = (level: string, output: 'stdout' | 'stderr' = 'stdout'): Logger => {
  const options = { level, base: { service: 'bosun' }, timestamp: pino.stdTimeFunctions.isoTime };
  return output === 'stdout' ? pino(options) : pino(options, pino.destination({ dest: 2, sync: true }));
};
