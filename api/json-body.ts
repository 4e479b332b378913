import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { ApiError } from './errors.js';

declare module 'koa' {
  interface Request {
    /** The parsed JSON body of a POST, PUT or PATCH; `{}` when there is none. */
    body?: unknown;
  }
}

const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);

const tooLarge = (limit: number) =>
  new ApiError('invalid_request_error', 'body_too_large', `request body exceeds ${limit} bytes`, { status: 413, headers: { Connection: 'close' } });

/** Reads at most `limit` bytes; past that the rest is drained unread and the read fails. */
const readLimited = (request: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      request.off('data', onData);
      request.resume();
      reject(tooLarge(limit));
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });

/**
 * JSON request bodies, and only JSON: anything else is refused rather than read as
 * empty. Hand-written over @koa/bodyparser because this is all the API needs and the
 * generic parser (content negotiation, charsets, inflation) cost ~5% of a submit's CPU.
 */
export const jsonBody = (limit: number) => async (ctx: Context, next: Next) => {
  if (!methodsWithBody.has(ctx.method)) return next();
  const declared = ctx.get('Content-Length');
  if ((declared === '' || declared === '0') && ctx.get('Transfer-Encoding') === '') {
    ctx.request.body = {};
    return next();
  }
  if (!ctx.is('application/json')) {
    throw new ApiError('invalid_request_error', 'unsupported_media_type', 'request bodies must be JSON (Content-Type: application/json)', { status: 415 });
  }
  const encoding = ctx.get('Content-Encoding');
  if (encoding !== '' && encoding !== 'identity') {
    throw new ApiError('invalid_request_error', 'unsupported_media_type', `Content-Encoding ${encoding} is not supported`, { status: 415 });
  }
  if (Number(declared) > limit) throw tooLarge(limit);
  const raw = await readLimited(ctx.req, limit);
  try {
    ctx.request.body = raw.length === 0 ? {} : (JSON.parse(raw.toString('utf8')) as unknown);
  } catch (error) {
    throw new ApiError('invalid_request_error', 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`);
  }
  return next();
};
