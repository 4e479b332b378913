/**
 * `?as_of=` on the single read of every resource that has a stream (api/stream-resources.ts):
 * the resource as it was at a moment, folded from its stream, whatever the read models hold.
 */
import type { RouterParameterMiddleware } from '@koa/router';
import type { Context } from 'koa';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import type { ReadStore } from '../projections/read-store.js';
import { principalOf } from './auth.js';
import { ApiError, notFound } from './errors.js';
import { collectionOf } from './ownership.js';
import { singleQuery } from './pagination.js';
import { allow, type RouteKey } from './permissions.js';
import type { BosunState } from './state.js';
import { streamResourceOf, type StreamResource } from './stream-resources.js';

export type TimeTravelDeps = {
  readonly events: Pick<EventStore, 'readStream' | 'headPosition'>;
  /** Where the streams of resources living inside another's stream are looked up. */
  readonly readStore: ReadStore;
  readonly now: () => Date;
};

/** A moment of the log: every event at or below a position, or every event that occurred at or before an instant. */
export type Moment = { readonly position: number } | { readonly time: number };

/** Events read from a stream at a time: a long stream is read until the moment, not whole. */
export const streamPageSize = 250;

const rfc3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 date-time with its offset (`Z` or `±hh:mm`); null when it is not one. */
export const instantOf = (raw: string): number | null => {
  const match = rfc3339.exec(raw.toUpperCase());
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1, 6).map(Number) as [number, number, number, number, number];
  // Date.parse would roll 30 February over into March and take hour 24.
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay || hour > 23 || minute > 59) return null;
  const time = Date.parse(raw.toUpperCase());
  return Number.isNaN(time) ? null : time;
};

/** The query parameter `param` as an RFC 3339 instant; a 400 naming it otherwise. */
export const instantQuery = (ctx: Context, param: string): number | undefined => {
  const raw = singleQuery(ctx, param);
  if (raw === undefined) return undefined;
  const time = instantOf(raw);
  if (time === null) {
    throw new ApiError('invalid_request_error', 'invalid_field', `${param} must be an RFC 3339 date-time with an offset, e.g. 2026-12-05T10:00:00Z`, {
      param,
    });
  }
  return time;
};

const asOfForms = 'an RFC 3339 date-time with an offset (e.g. 2026-12-05T10:00:00Z) or a log position (a non-negative integer)';

/** `?as_of=` read and checked: a moment that has happened, in this log. */
const momentOf = async (raw: string, deps: TimeTravelDeps): Promise<Moment> => {
  if (/^\d+$/.test(raw)) {
    const position = Number(raw);
    const head = await deps.events.headPosition();
    if (!Number.isSafeInteger(position) || position > head) {
      throw new ApiError(
        'invalid_request_error',
        'position_not_written',
        `as_of ${raw} is beyond the log's last position ${head}: nothing has happened there yet`,
        {
          param: 'as_of',
        },
      );
    }
    return { position };
  }
  const time = instantOf(raw);
  if (time === null) throw new ApiError('invalid_request_error', 'invalid_field', `as_of must be ${asOfForms}`, { param: 'as_of' });
  const now = deps.now();
  if (time > now.getTime()) {
    throw new ApiError('invalid_request_error', 'time_in_future', `as_of ${raw} is later than now (${now.toISOString()}): it has not happened yet`, {
      param: 'as_of',
    });
  }
  return { time };
};

/** How a moment is stated back: the position, or the instant in UTC. */
export const describeMoment = (moment: Moment): string => ('position' in moment ? String(moment.position) : new Date(moment.time).toISOString());

/** Whether what was written at `position` and occurred at `occurredAt` had happened at `moment`. */
const happenedBy = (moment: Moment): ((position: number, occurredAt: string) => boolean) =>
  'position' in moment ? (position) => position <= moment.position : (_position, occurredAt) => Date.parse(occurredAt) <= moment.time;

/** A resource's view as the events of its stream up to `revision` left it (null: it did not exist yet). */
type Snapshot = { readonly revision: number; readonly position: number; readonly occurredAt: string; readonly view: unknown };

/** A snapshot is taken at every this many revisions of a stream: a read folds at most this many events past one. */
export const snapshotEvery = streamPageSize;

/**
 * Views folded at every {@link snapshotEvery} revisions, kept in memory for the next reads of
 * the same resource, which then fold from the last snapshot before their moment instead of
 * from the stream's start. A view at a revision never changes (the log is append-only), so a
 * snapshot is never stale. Bounded by the number of snapshots held: the resources read least
 * recently are let go first.
 */
export class FoldSnapshots {
  readonly #byResource = new Map<string, Snapshot[]>();
  #held = 0;

  constructor(readonly maxSnapshots = 10_000) {}

  /** The latest snapshot of `resource` that `happened`; the resource counts as read just now. */
  latest(resource: string, happened: (snapshot: Snapshot) => boolean): Snapshot | undefined {
    const snapshots = this.#byResource.get(resource);
    if (!snapshots) return undefined;
    this.#byResource.delete(resource);
    this.#byResource.set(resource, snapshots);
    for (let i = snapshots.length - 1; i >= 0; i--) if (happened(snapshots[i] as Snapshot)) return snapshots[i];
    return undefined;
  }

  /** Kept when it is past the latest held: reads fold forward from a snapshot, so each adds the next ones in order. */
  add(resource: string, snapshot: Snapshot): void {
    const snapshots = this.#byResource.get(resource) ?? [];
    if (snapshot.revision <= (snapshots.at(-1)?.revision ?? -1)) return;
    snapshots.push(snapshot);
    this.#byResource.set(resource, snapshots);
    this.#held += 1;
    for (const [oldest, dropped] of this.#byResource) {
      if (this.#held <= this.maxSnapshots || oldest === resource) break;
      this.#byResource.delete(oldest);
      this.#held -= dropped.length;
    }
  }
}

/** The pages of `stream` from `fromRevision` on, in revision order, each read only once the one before was used. */
export async function* streamPages(events: Pick<EventStore, 'readStream'>, stream: string, fromRevision = 0): AsyncGenerator<RecordedEvent[]> {
  for (let next = fromRevision; ;) {
    const page = await events.readStream(stream, { fromRevision: next, maxCount: streamPageSize });
    if (page.length > 0) yield page;
    const last = page.at(-1);
    if (!last || page.length < streamPageSize) return;
    next = last.revision + 1;
  }
}

/**
 * The resource `id` as its stream tells it at `moment`: the events about it folded in
 * revision order, from the latest snapshot before the moment, up to the first event that had
 * not happened then (a stream's events occur in revision order); null when it did not exist yet.
 */
export const viewAt = async (
  events: Pick<EventStore, 'readStream'>,
  snapshots: FoldSnapshots,
  stream: string,
  resource: StreamResource<unknown>,
  id: string,
  moment: Moment,
): Promise<unknown> => {
  const happened = happenedBy(moment);
  const key = `${stream} ${id}`;
  const start = snapshots.latest(key, (snapshot) => happened(snapshot.position, snapshot.occurredAt));
  let view: unknown = start?.view ?? null;
  for await (const page of streamPages(events, stream, start ? start.revision + 1 : 0)) {
    for (const event of page) {
      if (!happened(event.position, event.metadata.occurred_at)) return view;
      if (resource.concerns(id, event)) view = resource.evolve(view, event);
      if ((event.revision + 1) % snapshotEvery === 0) {
        snapshots.add(key, { revision: event.revision, position: event.position, occurredAt: event.metadata.occurred_at, view });
      }
    }
  }
  return view;
};

/** The stream of resource `id` of `resource`, which ownership has found to be the caller's. */
export const streamOfResource = async (ctx: Context, resource: StreamResource<unknown>, id: string, readStore: ReadStore): Promise<string> => {
  const stream = await resource.streamOf(id, { readStore, tenant: principalOf(ctx).tenant });
  if (!stream) throw notFound(resource.resource, id);
  return stream;
};

/**
 * `router.param('id', ...)` after the ownership check: a GET of `/<collection>/:id` with
 * `?as_of=`, for a collection of the registry, is answered here from the stream, under the
 * route's own permission; every other request goes on to its route. As a parameter
 * middleware it runs after ownership (404 first) and before the route's read-model read and
 * its X-Min-Position wait, which a read of the log does not need.
 */
export const timeTravel = (deps: TimeTravelDeps): RouterParameterMiddleware<BosunState> => {
  const snapshots = new FoldSnapshots();
  return async (id, ctx, next) => {
    const collection = collectionOf(ctx._matchedRoute);
    const resource = streamResourceOf(collection);
    const singleRead = (ctx.method === 'GET' || ctx.method === 'HEAD') && ctx._matchedRoute === `/api/v1/${collection}/:id`;
    const raw = resource && singleRead ? singleQuery(ctx, 'as_of') : undefined;
    if (!resource || raw === undefined) return next();
    return allow(`GET /api/v1/${collection}/:id` as RouteKey)(ctx, async () => {
      const moment = await momentOf(raw, deps);
      const view = await viewAt(deps.events, snapshots, await streamOfResource(ctx, resource, id, deps.readStore), resource, id, moment);
      if (view === null) {
        throw new ApiError('not_found_error', 'resource_not_yet_existing', `${resource.resource} ${id} did not exist yet at ${describeMoment(moment)}`, {
          param: 'as_of',
        });
      }
      ctx.set('X-As-Of', describeMoment(moment));
      ctx.body = resource.present(view);
    });
  };
};
