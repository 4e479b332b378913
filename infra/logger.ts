import pino, { type Logger } from 'pino';

/**
 * Structured JSON logs on stdout. `context` adds fields to every line, such as the
 * id of the request being served.
 */
export const createLogger = (level: string, context: () => object = () => ({})): Logger =>
  pino({ level, base: { service: 'bosun' }, mixin: context, timestamp: pino.stdTimeFunctions.isoTime });
