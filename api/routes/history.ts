import type Router from '@koa/router';
import type { EventSchemaRegistry } from '../../events/event-schemas.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import type { ReadStore } from '../../projections/read-store.js';
import { toWireEvent } from '../../projections/wire-event.js';
import { ApiError } from '../errors.js';
import { eventCatalog } from '../event-catalog.js';
import { resourceId } from '../ownership.js';
import { sequenceBody, sequencePageFromQuery, type SequencePage } from '../pagination.js';
import { allow, type RouteKey } from '../permissions.js';
import { historyQuery } from '../schemas.js';
import type { BosunState } from '../state.js';
import { streamCollections, streamResources } from '../stream-resources.js';
import { instantQuery, streamOfResource, streamPages, streamPageSize } from '../time-travel.js';
import { validator } from '../validation.js';

export type HistoryRoutesDeps = {
  readonly events: Pick<EventStore, 'readStream'>;
  readonly readStore: ReadStore;
  readonly schemas: EventSchemaRegistry;
};

const validateHistoryQuery = validator<{ order?: 'asc' | 'desc'; type?: string }>(historyQuery);

/** Which events of the stream a page holds: about the resource, of the types and within the times asked for. */
export type Wanted = { readonly about: (event: RecordedEvent) => boolean; readonly from?: number; readonly to?: number };

const occurredAt = (event: RecordedEvent): number => Date.parse(event.metadata.occurred_at);

/** The revision of the last event of `stream` (-1 when empty), by reads of one event each, past a first page. */
const lastRevisionOf = async (events: HistoryRoutesDeps['events'], stream: string): Promise<number> => {
  const first = await events.readStream(stream, { maxCount: streamPageSize });
  if (first.length < streamPageSize) return first.at(-1)?.revision ?? -1;
  const exists = async (revision: number) => (await events.readStream(stream, { fromRevision: revision, maxCount: 1 })).length > 0;
  let low = streamPageSize - 1;
  let high = 2 * streamPageSize;
  while (await exists(high)) [low, high] = [high, 2 * high];
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (await exists(middle)) low = middle;
    else high = middle;
  }
  return low;
};

/** Up to `limit + 1` wanted events oldest first, after the cursor's revision; a stream's events occur in revision order. */
const oldestFirst = async (events: HistoryRoutesDeps['events'], stream: string, wanted: Wanted, page: SequencePage): Promise<RecordedEvent[]> => {
  const found: RecordedEvent[] = [];
  for await (const batch of streamPages(events, stream, page.from === undefined ? 0 : page.from + 1)) {
    for (const event of batch) {
      if (wanted.to !== undefined && occurredAt(event) > wanted.to) return found;
      if (wanted.about(event) && (wanted.from === undefined || occurredAt(event) >= wanted.from)) found.push(event);
      if (found.length > page.limit) return found;
    }
  }
  return found;
};

/** Up to `limit + 1` wanted events newest first, before the cursor's revision, read backwards a page at a time. */
const newestFirst = async (events: HistoryRoutesDeps['events'], stream: string, wanted: Wanted, page: SequencePage): Promise<RecordedEvent[]> => {
  const found: RecordedEvent[] = [];
  for (let high = page.from === undefined ? await lastRevisionOf(events, stream) : page.from - 1; high >= 0; high -= streamPageSize) {
    const low = Math.max(0, high - streamPageSize + 1);
    const window = await events.readStream(stream, { fromRevision: low, maxCount: high - low + 1 });
    for (const event of window.reverse()) {
      if (wanted.from !== undefined && occurredAt(event) < wanted.from) return found;
      if (wanted.about(event) && (wanted.to === undefined || occurredAt(event) <= wanted.to)) found.push(event);
      if (found.length > page.limit) return found;
    }
  }
  return found;
};

/** Up to `limit + 1` wanted events of `stream` past the page's cursor, in the page's order. */
export const historyPage = (events: HistoryRoutesDeps['events'], stream: string, wanted: Wanted, page: SequencePage): Promise<RecordedEvent[]> =>
  (page.direction === 'before' ? newestFirst : oldestFirst)(events, stream, wanted, page);

/**
 * `GET /<collection>/:id/history` for every resource that has a stream: the events about it,
 * as `/events` publishes them (upcast to their current schema), oldest first by default,
 * paged by revision with the lists' `limit` and `cursor`.
 */
export const historyRoutes = (router: Router<BosunState>, deps: HistoryRoutesDeps): void => {
  const knownTypes = new Set([...eventCatalog(deps.schemas).values()].flat().map((entry) => entry.type));

  for (const collection of streamCollections) {
    const resource = streamResources[collection];
    router.get(`/${collection}/:id/history`, allow(`GET /api/v1/${collection}/:id/history` as RouteKey), async (ctx) => {
      const query = validateHistoryQuery({ ...ctx.query });
      const types = query.type?.split(',').map((type) => type.trim());
      const unknownType = types?.find((type) => !knownTypes.has(type));
      if (unknownType !== undefined) {
        throw new ApiError(
          'invalid_request_error',
          'invalid_field',
          `type ${unknownType || '(empty)'} is not an event type; GET /api/v1/event-schemas lists them`,
          {
            param: 'type',
          },
        );
      }
      const from = instantQuery(ctx, 'from');
      const to = instantQuery(ctx, 'to');
      const id = resourceId(ctx);
      const typeSet = types && new Set(types);
      const wanted: Wanted = {
        about: (event) => resource.concerns(id, event) && (!typeSet || typeSet.has(event.type)),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      };
      const stream = await streamOfResource(ctx, resource, id, deps.readStore);
      const page = sequencePageFromQuery(ctx, query.order === 'desc' ? 'before' : 'after');
      const found = await historyPage(deps.events, stream, wanted, page);
      ctx.body = sequenceBody(found, page, (event) => event.revision, toWireEvent);
    });
  }
};
