import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { ConcurrencyConflictError, PreconditionFailedError } from '../commands/handle-command.js';
import { ConflictError, DomainError, IllegalTransitionError, NotFoundError, RuleViolationError } from '../domain/shared/errors.js';
import { InvalidEventError } from '../events/event-schemas.js';

export type ErrorType =
  'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'conflict_error' | 'rate_limit_error' | 'api_error';

const statusOf: Record<ErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  conflict_error: 409,
  rate_limit_error: 429,
  api_error: 500,
};

/** Handlers throw these; the error middleware turns them into the typed body. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    options: { status?: number; param?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = options.status ?? statusOf[type];
    this.param = options.param;
    this.headers = options.headers ?? {};
  }
  readonly param: string | undefined;
  readonly headers: Record<string, string>;
}

export const notFound = (what: string, id: string) => new ApiError('not_found_error', 'resource_missing', `no ${what} with id ${id}`);

const fromDomain = (error: DomainError): ApiError => {
  if (error instanceof NotFoundError) return new ApiError('not_found_error', 'resource_missing', error.message);
  if (error instanceof IllegalTransitionError) return new ApiError('conflict_error', error.code, error.message);
  if (error instanceof ConflictError) return new ApiError('conflict_error', error.code, error.message);
  if (error instanceof RuleViolationError) {
    return new ApiError('invalid_request_error', error.code, error.message, error.field ? { param: error.field } : {});
  }
  return new ApiError('invalid_request_error', error.code, error.message);
};

export const toApiError = (error: unknown): ApiError => {
  if (error instanceof ApiError) return error;
  if (error instanceof DomainError) return fromDomain(error);
  if (error instanceof ConcurrencyConflictError) return new ApiError('conflict_error', error.code, error.message);
  if (error instanceof PreconditionFailedError) return new ApiError('conflict_error', error.code, error.message, { status: 412, param: 'If-Match' });
  // The request passed validation yet produced an event its schema refuses: our bug, logged.
  if (error instanceof InvalidEventError) return new ApiError('api_error', error.code, 'internal error; see the server log for this request id');
  return new ApiError('api_error', 'internal', 'internal error; see the server log for this request id');
};

/** The one place errors become responses; logs the unexpected ones with their context. */
export const errorHandler = (logger: Logger) => async (ctx: Context, next: Next) => {
  try {
    await next();
    if (ctx.body === undefined && ctx.status === 404) {
      throw new ApiError('not_found_error', 'route_missing', `no route for ${ctx.method} ${ctx.path}`);
    }
    // The router answers 501 for a method it has no routes for (TRACE, say); for a method
    // HTTP defines, 405 with Allow is the answer RFC 9110 gives.
    if (ctx.body === undefined && (ctx.status === 405 || ctx.status === 501)) {
      throw new ApiError('invalid_request_error', 'method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}`, {
        status: 405,
        headers: { Allow: String(ctx.response.get('Allow')) },
      });
    }
  } catch (error) {
    const apiError = toApiError(error);
    // A server-side answer Bosun chose (503 while the read side lags) is expected; any other is a fault.
    if (apiError.status >= 500) {
      const context = { err: error, request_id: ctx.state.requestId, method: ctx.method, path: ctx.path, status: apiError.status };
      if (error instanceof ApiError) logger.warn(context, 'request answered with a server-side error');
      else logger.error(context, 'request failed');
    }
    ctx.status = apiError.status;
    ctx.set(apiError.headers);
    ctx.body = {
      error: {
        type: apiError.type,
        code: apiError.code,
        message: apiError.message,
        ...(apiError.param ? { param: apiError.param } : {}),
        request_id: ctx.state.requestId ?? null,
      },
    };
  }
};

/**
 * Requests Node's HTTP parser refuses before Koa sees them (an unknown method, a request
 * line or headers too large, malformed framing) are answered with the same envelope, and
 * the connection is closed: what follows on it cannot be trusted to be a request.
 */
export const clientErrorHandler =
  (logger: Logger) =>
  (error: NodeJS.ErrnoException, socket: Duplex): void => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const requestId = `req_${randomUUID()}`;
    const message = status === 431 ? 'request line or headers too large' : `malformed HTTP request (${error.code ?? error.message})`;
    const body = JSON.stringify({
      error: { type: 'invalid_request_error', code: status === 431 ? 'headers_too_large' : 'malformed_request', message, request_id: requestId },
    });
    logger.debug({ code: error.code, request_id: requestId }, 'refused a malformed HTTP request');
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
