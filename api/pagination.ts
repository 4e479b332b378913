import type { Context } from 'koa';
import type { Page, Sort } from '../projections/read-store.js';
import { ApiError } from './errors.js';

export type ListBody<T> = { data: T[]; has_more: boolean; next_cursor: string | null };

/** Where the next page starts: before the item last sent (newest-first lists) or after it (oldest-first sequences). */
type CursorKey = 'before' | 'after';

const encodeCursor = (key: CursorKey, place: number): string => Buffer.from(JSON.stringify({ [key]: place })).toString('base64url');

const decodeCursor = (cursor: string, key: CursorKey): number => {
  try {
    const place = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>)[key];
    if (Number.isSafeInteger(place) && (place as number) >= (key === 'before' ? 1 : 0)) return place as number;
  } catch {
    // fall through to the error below
  }
  throw new ApiError('invalid_request_error', 'invalid_cursor', 'cursor is not one this API returned', { param: 'cursor' });
};

const singleQuery = (ctx: Context, name: string): string | undefined => {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new ApiError('invalid_request_error', 'invalid_field', `${name} must be given once`, { param: name });
  return value;
};

/** Reads `?limit=` (1-100, default 20) and `?cursor=`; asks the store for one extra to learn `has_more`. */
export const pageFromQuery = (ctx: Context): Page & { limit: number } => {
  const limit = limitFromQuery(ctx);
  const cursor = singleQuery(ctx, 'cursor');
  return { limit, ...(cursor ? { before: decodeCursor(cursor, 'before') } : {}) };
};

const limitFromQuery = (ctx: Context): number => {
  const rawLimit = singleQuery(ctx, 'limit');
  const limit = rawLimit === undefined ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ApiError('invalid_request_error', 'invalid_field', 'limit must be an integer from 1 to 100', { param: 'limit' });
  }
  return limit;
};

/**
 * A page of a sequence numbered from 0 (a stream's revisions), read either way with the same
 * `limit` and `cursor` as the lists: the cursor holds the number of the last item sent.
 */
export type SequencePage = { readonly limit: number; readonly direction: CursorKey; readonly from?: number };

export const sequencePageFromQuery = (ctx: Context, direction: CursorKey): SequencePage => {
  const limit = limitFromQuery(ctx);
  const cursor = singleQuery(ctx, 'cursor');
  return { limit, direction, ...(cursor ? { from: decodeCursor(cursor, direction) } : {}) };
};

/** The body of a sequence's page: `items` holds up to one more than the limit, which tells that more follow. */
export const sequenceBody = <D, T>(items: readonly D[], page: SequencePage, placeOf: (item: D) => number, present: (item: D) => T): ListBody<T> => {
  const shown = items.slice(0, page.limit);
  const hasMore = items.length > page.limit;
  const last = shown.at(-1);
  return { data: shown.map(present), has_more: hasMore, next_cursor: hasMore && last ? encodeCursor(page.direction, placeOf(last)) : null };
};

export const listBody = <D extends { seq: number }, T>(docs: D[], page: { limit: number }, present: (doc: D) => T): ListBody<T> => {
  const shown = docs.slice(0, page.limit);
  const hasMore = docs.length > page.limit;
  const last = shown.at(-1);
  return { data: shown.map(present), has_more: hasMore, next_cursor: hasMore && last ? encodeCursor('before', last.seq) : null };
};

export { singleQuery };

/** Where the next page of a sorted list starts: after the last item sent, by its sort value and `seq`. */
type SortedCursor = { readonly value: string | number; readonly seq: number };

const decodeSortedCursor = (cursor: string): SortedCursor => {
  try {
    const after = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown }).after;
    if (Array.isArray(after) && after.length === 2) {
      const [value, seq] = after as unknown[];
      if ((typeof value === 'string' || Number.isFinite(value)) && Number.isSafeInteger(seq)) return { value: value as string | number, seq: seq as number };
    }
  } catch {
    // fall through to the error below
  }
  throw new ApiError('invalid_request_error', 'invalid_cursor', 'cursor is not one this API returned', { param: 'cursor' });
};

/** `?limit=` and `?cursor=` of a list sorted by one field (then newest `seq` among equals). */
export const sortedPageFromQuery = (ctx: Context, sort: Sort): Page & { limit: number; sort: Sort } => {
  const limit = limitFromQuery(ctx);
  const cursor = singleQuery(ctx, 'cursor');
  return { limit, sort, ...(cursor ? { after: decodeSortedCursor(cursor) } : {}) };
};

/** The body of a sorted list's page; `docs` holds up to one more than the limit. */
export const sortedListBody = <D extends { seq: number }, T>(docs: D[], page: { limit: number; sort: Sort }, present: (doc: D) => T): ListBody<T> => {
  const shown = docs.slice(0, page.limit);
  const hasMore = docs.length > page.limit;
  const last = shown.at(-1);
  const value = last && (last as Record<string, unknown>)[page.sort.field];
  return {
    data: shown.map(present),
    has_more: hasMore,
    next_cursor: hasMore && last ? Buffer.from(JSON.stringify({ after: [value, last.seq] })).toString('base64url') : null,
  };
};
