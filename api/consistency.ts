import type { Context, Next } from 'koa';
import type { ReadSide } from '../projections/read-side.js';
import { ApiError } from './errors.js';
import { singleQuery } from './pagination.js';

/**
 * Read-your-writes: a read that names the position of a write (`X-Min-Position` or
 * `?min_position=`) waits, at most `timeoutMs`, until the read models reach it. How long
 * it waited is answered as `Server-Timing: read-wait;dur=<ms>`, so a client can tell the
 * read side's lag from the network's.
 */
export const minPosition = (readSide: ReadSide, timeoutMs: number) => async (ctx: Context, next: Next) => {
  const raw = ctx.get('X-Min-Position') || singleQuery(ctx, 'min_position');
  if (raw) {
    const position = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(position)) {
      throw new ApiError('invalid_request_error', 'invalid_field', 'X-Min-Position must be a non-negative integer position', {
        param: 'min_position',
      });
    }
    // A position past the log's head names no write that has happened: waiting cannot help.
    if (position > readSide.position()) {
      const head = await readSide.logHead();
      if (position > head) {
        throw new ApiError(
          'invalid_request_error',
          'position_not_written',
          `X-Min-Position ${position} is beyond the log's last position ${head}: no write has it`,
          {
            param: 'min_position',
          },
        );
      }
    }
    const started = performance.now();
    const reached = await readSide.waitFor(position, timeoutMs);
    ctx.append('Server-Timing', `read-wait;dur=${(performance.now() - started).toFixed(2)}`);
    if (!reached) {
      throw new ApiError(
        'api_error',
        'projection_lagging',
        `read models are at position ${readSide.position()}, not yet ${position}, after ${timeoutMs} ms; retry`,
        { status: 503, headers: { 'Retry-After': '1' } },
      );
    }
  }
  await next();
};
