import pino, { type Logger } from 'pino';

/** Structured JSON logs on stdout. */
export const createLogger = (level: string): Logger =>
  pino({ level, base: { service: 'bosun' }, timestamp: pino.stdTimeFunctions.isoTime });
