import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Logger } from 'pino';
import type { PersonalData } from '../../commands/personal-data.js';
import type { EventSchemaRegistry } from '../../events/event-schemas.js';
import type { EventStore, RecordedEvent, Subscription } from '../../events/event-store.js';
import { categoryOfStream } from '../../events/streams.js';
import { toWireEvent, type WireEvent } from '../../projections/wire-event.js';
import { principalOf } from '../auth.js';
import { ApiError } from '../errors.js';
import { eventCatalog, eventCategories } from '../event-catalog.js';
import { singleQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import { lastEventIdOf } from '../sse.js';
import type { BosunState } from '../state.js';

export type EventRoutesDeps = {
  readonly events: EventStore;
  readonly schemas: EventSchemaRegistry;
  readonly logger: Logger;
  /** Reveals each event's personal data to its team (the events sent are the caller's team's only). */
  readonly personal: PersonalData;
  /** How often an idle followed stream sends a keep-alive; tests shorten it. @defaultValue 15 s */
  readonly keepAliveMs?: number;
};

/** Events asked of the store at a time: what one response holds in memory at most. */
export const eventPageSize = 500;
/** Written as one chunk: fewer, larger writes than one per event, still bounded. */
const chunkChars = 64 * 1024;
/** Proxies and load balancers close connections idle for longer (commonly 30-60 s). */
const defaultKeepAliveMs = 15_000;

type Format = {
  readonly type: string;
  readonly encode: (event: WireEvent) => string;
  /** Sent when a followed stream has been idle: clients skip it. */
  readonly keepAlive: string;
};

const ndjson: Format = {
  type: 'application/x-ndjson',
  encode: (event) => `${JSON.stringify(event)}\n`,
  // NDJSON parsers may ignore empty lines; documented as keep-alives.
  keepAlive: '\n',
};

const serverSentEvents: Format = {
  type: 'text/event-stream',
  // The id is the position, so EventSource's Last-Event-ID resumes the whole stream where it was.
  encode: (event) => `id: ${event.position}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`,
  keepAlive: ': keep-alive\n\n',
};

const invalid = (param: string, message: string) => new ApiError('invalid_request_error', 'invalid_field', message, { param });

/** `?name=a,b&name=c` as [a, b, c]; undefined when absent. Empty items are refused, not ignored. */
const listQuery = (ctx: Context, name: string): string[] | undefined => {
  const raw = ctx.query[name];
  if (raw === undefined) return undefined;
  const items = (Array.isArray(raw) ? raw : [raw]).flatMap((value) => value.split(','));
  if (items.some((item) => item.trim() === '')) throw invalid(name, `${name} must be a comma-separated list without empty items`);
  return items.map((item) => item.trim());
};

const positionQuery = (ctx: Context, name: string): number | undefined => {
  const raw = singleQuery(ctx, name);
  if (raw === undefined) return undefined;
  const position = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(position)) throw invalid(name, `${name} must be a log position, a non-negative integer`);
  return position;
};

const booleanQuery = (ctx: Context, name: string): boolean | undefined => {
  const raw = singleQuery(ctx, name);
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw invalid(name, `${name} must be true or false`);
  return raw === 'true';
};

type StreamRequest = {
  readonly format: Format;
  /** Events after this position are sent. */
  readonly after: number;
  readonly follow: boolean;
  readonly wanted: (event: RecordedEvent) => boolean;
};

/**
 * A response body written with back-pressure: `write` resolves once the body can take more,
 * so a client that stops reading stops the reads from the store. It answers false once the
 * client has gone (or the body was ended), after which nothing more should be produced.
 */
export const openBody = () => {
  const body = new PassThrough();
  let closed = false;
  let pending = '';
  body.once('close', () => {
    closed = true;
  });
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        body.off('drain', done);
        body.off('close', done);
        resolve();
      };
      body.on('drain', done);
      body.on('close', done);
    });
  const flush = async (): Promise<boolean> => {
    if (closed) return false;
    if (pending === '') return true;
    const chunk = pending;
    pending = '';
    if (!body.write(chunk)) await drained();
    return !closed;
  };
  return {
    body,
    isClosed: () => closed,
    /** Queues `text`; writes once a chunk's worth is queued. */
    add: async (text: string): Promise<boolean> => {
      pending += text;
      return pending.length >= chunkChars ? flush() : !closed;
    },
    flush,
    end: async () => {
      if (await flush()) body.end();
    },
  };
};

/** Event stream of the caller's team: NDJSON or Server-Sent Events, read from the log with back-pressure. */
export const eventRoutes = (router: Router<BosunState>, deps: EventRoutesDeps): void => {
  const { events, logger } = deps;
  const keepAliveMs = deps.keepAliveMs ?? defaultKeepAliveMs;
  const knownTypes = new Set([...eventCatalog(deps.schemas).values()].flat().map((entry) => entry.type));

  const requestOf = (ctx: Context, tenant: string): StreamRequest => {
    const format = ctx.accepts(ndjson.type, serverSentEvents.type) === serverSentEvents.type ? serverSentEvents : ndjson;
    const categories = listQuery(ctx, 'category');
    const unknownCategory = categories?.find((category) => !(eventCategories as readonly string[]).includes(category));
    if (unknownCategory !== undefined) {
      throw invalid('category', `category ${unknownCategory} is not one of ${eventCategories.join(', ')}`);
    }
    const types = listQuery(ctx, 'type');
    const unknownType = types?.find((type) => !knownTypes.has(type));
    if (unknownType !== undefined) {
      throw invalid('type', `type ${unknownType} is not an event type; GET /api/v1/event-schemas lists them`);
    }
    const from = positionQuery(ctx, 'from');
    // Last-Event-ID is where a reconnecting client really is: it wins over the `from` it first asked for.
    const after = lastEventIdOf(ctx) ?? from ?? 0;
    // An EventSource is meant to stay open; an NDJSON download is meant to end.
    const follow = booleanQuery(ctx, 'follow') ?? format === serverSentEvents;
    const categorySet = categories && new Set<string>(categories);
    const typeSet = types && new Set(types);
    return {
      format,
      after,
      follow,
      wanted: (event) => event.tenant === tenant && (!categorySet || categorySet.has(categoryOfStream(event.stream))) && (!typeSet || typeSet.has(event.type)),
    };
  };

  /** Sends the stored events after `request.after`, then (following) new ones, until either side stops. */
  const pump = async (request: StreamRequest, out: ReturnType<typeof openBody>, firstPage: RecordedEvent[], head: number): Promise<void> => {
    const send = async (event: RecordedEvent) => out.add(request.format.encode(await deps.personal.reveal(toWireEvent(event), event.tenant)));
    let after = request.after;
    // Paged through the log; the next page is read only once this one was taken by the client.
    for (let page = firstPage; ; page = await events.readAll({ after, maxCount: eventPageSize })) {
      for (const event of page) {
        if (!request.follow && event.position > head) return out.end();
        after = event.position;
        if (request.wanted(event) && !(await send(event))) return;
      }
      if (!(await out.flush())) return;
      // A short page is the head as it was when read; what came after is followed live.
      if (page.length < eventPageSize) break;
    }
    if (!request.follow) return out.end();

    // The subscription starts after the last event read: nothing missed, nothing twice. Its next
    // event waits for `onEvent` to resolve, so back-pressure holds when following too.
    let subscription: Subscription | null = null;
    await new Promise<void>((resolve, reject) => {
      if (out.isClosed()) return resolve();
      const keepAlive = setInterval(() => {
        // Skipped while the client is not reading: the connection is not idle then.
        if (out.body.writableLength === 0) out.body.write(request.format.keepAlive);
      }, keepAliveMs);
      out.body.once('close', () => {
        clearInterval(keepAlive);
        resolve();
      });
      subscription = events.subscribe(after, {
        onEvent: async (event) => {
          if (request.wanted(event) && (await send(event))) await out.flush();
        },
        onError: (error) => {
          clearInterval(keepAlive);
          reject(error);
        },
      });
    }).finally(() => (subscription as Subscription | null)?.close());
  };

  router.get('/events', allow('GET /api/v1/events'), async (ctx) => {
    const { tenant } = principalOf(ctx);
    const request = requestOf(ctx, tenant);
    // Read before answering, so that a store that fails now still gets a typed error response.
    const logHead = await events.headPosition();
    // A resume point past the log's end was never sent: the client holds another log's position.
    if (request.after > logHead) {
      const param = ctx.get('Last-Event-ID') || singleQuery(ctx, 'last_event_id') ? 'last_event_id' : 'from';
      throw invalid(param, `position ${request.after} is beyond the log's last position ${logHead}: no event was sent with it`);
    }
    const head = request.follow ? Number.POSITIVE_INFINITY : logHead;
    const firstPage = request.after < head ? await events.readAll({ after: request.after, maxCount: eventPageSize }) : [];

    const out = openBody();
    const socket = ctx.req.socket;
    // Long downloads and followed streams may sit idle between writes; small events go out at once.
    socket.setTimeout(0);
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    ctx.set({ 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    ctx.type = request.format.type;
    ctx.body = out.body;
    ctx.flushHeaders();

    pump(request, out, firstPage, head).catch((error: unknown) => {
      // Headers are sent: the only honest answer left is to cut the response, which a client sees
      // as a failed transfer, not as a stream that ended. It resumes from the last position it got.
      logger.error({ err: error, request_id: ctx.state.requestId }, 'event stream failed');
      out.body.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
};
