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

/**
 * Deepest nesting a body may have. Bodies are encoded into events and validated by
 * recursive code; a few thousand levels overflow the stack there, and no request of this
 * API needs more than a handful.
 */
export const maxJsonDepth = 64;

/** Nesting depth of a parsed JSON value (a scalar is 0), walked without recursion; stops past `limit`. */
const depthOf = (value: unknown, limit: number): number => {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    const inner = depth + 1;
    if (inner > deepest) deepest = inner;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(current) ? current : Object.values(current)) pending.push([child, inner]);
  }
  return deepest;
};

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
  // A PATCH is a JSON merge patch (RFC 7396), which has a media type of its own.
  if (!(ctx.method === 'PATCH' ? ctx.is('application/json', 'application/merge-patch+json') : ctx.is('application/json'))) {
    const accepted = ctx.method === 'PATCH' ? 'application/json or application/merge-patch+json' : 'application/json';
    throw new ApiError('invalid_request_error', 'unsupported_media_type', `request bodies must be JSON (Content-Type: ${accepted})`, { status: 415 });
  }
  const encoding = ctx.get('Content-Encoding');
  if (encoding !== '' && encoding !== 'identity') {
    throw new ApiError('invalid_request_error', 'unsupported_media_type', `Content-Encoding ${encoding} is not supported`, { status: 415 });
  }
  if (Number(declared) > limit) throw tooLarge(limit);
  const raw = await readLimited(ctx.req, limit);
  let body: unknown;
  try {
    body = raw.length === 0 ? {} : (JSON.parse(raw.toString('utf8')) as unknown);
  } catch (error) {
    throw new ApiError('invalid_request_error', 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (depthOf(body, maxJsonDepth) > maxJsonDepth) {
    throw new ApiError('invalid_request_error', 'too_deeply_nested', `request body nests deeper than ${maxJsonDepth} levels of objects and arrays`);
  }
  ctx.request.body = body;
  return next();
};
