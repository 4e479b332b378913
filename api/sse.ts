import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import type { RecordedEvent } from '../events/event-store.js';
import { ApiError } from './errors.js';
import { singleQuery } from './pagination.js';

/** One Server-Sent Event; its id is the stream revision, which the client sends back to resume. */
export type ServerSentEvent = { readonly id: number; readonly event: string; readonly data: unknown };

/** Proxies and load balancers close connections idle for longer (commonly 30-60 s). */
const heartbeatMs = 15_000;

/** A stored event as clients of every event stream see it: the envelope less who caused it. */
export const serverSentEventOf = (event: RecordedEvent): ServerSentEvent => ({
  id: event.revision,
  event: event.type,
  data: {
    id: event.id,
    type: event.type,
    revision: event.revision,
    position: event.position,
    occurred_at: event.metadata.occurred_at,
    data: event.data,
  },
});

/**
 * The revision the client already has: `Last-Event-ID` (sent by EventSource when it
 * reconnects) or `?last_event_id=`; null when it has none.
 */
export const lastEventIdOf = (ctx: Context): number | null => {
  const raw = ctx.get('Last-Event-ID') || singleQuery(ctx, 'last_event_id');
  if (!raw) return null;
  const revision = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(revision)) {
    throw new ApiError('invalid_request_error', 'invalid_field', 'Last-Event-ID must be the id of an event this stream sent, a non-negative integer', {
      param: 'last_event_id',
    });
  }
  return revision;
};

/**
 * A `text/event-stream` response body. Events sent before `respond` wait in it, so a handler
 * can do everything that may fail first and attach the body last: until then, errors still
 * answer with the typed JSON body.
 */
export type EventStream = {
  readonly send: (event: ServerSentEvent) => void;
  /** Ends the response once what was sent has been written. */
  readonly end: () => void;
  /** Attaches the body to the response; `onClose` runs once when it ends, either side ending it. */
  readonly respond: (ctx: Context, onClose: () => void) => void;
};

export const eventStream = (): EventStream => {
  const body = new PassThrough();
  // Koa destroys the body when the client goes away; after that nothing may be written.
  const write = (chunk: string) => {
    if (body.writable) body.write(chunk);
  };
  return {
    send: ({ id, event, data }) => write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    end: () => body.end(),
    respond: (ctx, onClose) => {
      const socket = ctx.req.socket;
      // The stream stays open as long as the client wants it; small events go out at once.
      socket.setTimeout(0);
      socket.setNoDelay(true);
      socket.setKeepAlive(true);
      ctx.set({ 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
      ctx.type = 'text/event-stream';
      ctx.body = body;
      // Headers now, not with the first event: a resumed stream may have nothing to send for a while.
      ctx.flushHeaders();
      const heartbeat = setInterval(() => write(': keep-alive\n\n'), heartbeatMs);
      body.once('close', () => {
        clearInterval(heartbeat);
        onClose();
      });
    },
  };
};
