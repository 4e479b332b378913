import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import { UnknownProjectionError, type ReadSide } from '../../projections/read-side.js';
import { ApiError } from '../errors.js';
import { singleQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import type { BosunState } from '../state.js';

/**
 * Answers a long operation as NDJSON: `progress` lines while it runs, then one `result`
 * line, or an `error` line if it fails after the answer has begun (its status is sent by then).
 */
const ndjsonOperation = (ctx: Context, logger: Logger, run: (progress: (line: object) => void) => Promise<object>): void => {
  const body = new PassThrough();
  const write = (line: object) => {
    if (body.writable) body.write(`${JSON.stringify(line)}\n`);
  };
  ctx.req.socket.setTimeout(0);
  ctx.type = 'application/x-ndjson';
  ctx.set('Cache-Control', 'no-cache');
  ctx.body = body;
  run((line) => write({ type: 'progress', ...line }))
    .then((result) => write({ type: 'result', ...result }))
    .catch((error: unknown) => {
      logger.error({ err: error, request_id: ctx.state.requestId }, 'projection maintenance failed');
      write({ type: 'error', error: { type: 'api_error', message: String((error as Error)?.message ?? error), request_id: ctx.state.requestId } });
    })
    .finally(() => body.end());
};

const known = (readSide: ReadSide, name: string): string => {
  if (!readSide.projectionNames().includes(name)) {
    throw new ApiError('not_found_error', 'resource_missing', new UnknownProjectionError(name, readSide.projectionNames()).message, { param: 'name' });
  }
  return name;
};

/** Rebuild and verify, run inside the server so the switch happens between two of the live runner's batches. */
export const projectionMaintenanceRoutes = (router: Router<BosunState>, deps: { readonly readSide: ReadSide; readonly logger: Logger }): void => {
  router.post('/system/projections/:name/rebuild', allow('POST /api/v1/system/projections/:name/rebuild'), async (ctx) => {
    const name = known(deps.readSide, ctx.params.name ?? '');
    deps.logger.info({ projection: name, request_id: ctx.state.requestId }, 'rebuilding projection');
    ndjsonOperation(ctx, deps.logger, async (progress) => {
      const results = await deps.readSide.rebuild(name, progress);
      deps.logger.info({ projection: name, results }, 'projection rebuilt and switched over');
      return { data: results };
    });
  });

  router.post('/system/projections/verify', allow('POST /api/v1/system/projections/verify'), async (ctx) => {
    const raw = singleQuery(ctx, 'projection');
    const name = raw ? known(deps.readSide, raw) : undefined;
    ndjsonOperation(ctx, deps.logger, async (progress) => {
      const results = await deps.readSide.verify(name, progress);
      return { identical: results.every((result) => result.identical), data: results };
    });
  });
};
