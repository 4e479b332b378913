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

/** `field` ascending, `-field` descending: what `?sort=` says and a sorted cursor repeats. */
const sortToken = (sort: Sort): string => (sort.order === 'desc' ? `-${sort.field}` : sort.field);

/**
 * Reads `?sort=` (one of `fields`, `-` first for descending) besides `limit` and `cursor`;
 * without it, `defaultSort`, else newest first as {@link pageFromQuery} reads it. A sorted list's
 * cursor holds its order and the last item's value and seq (the read store's keyset
 * `after`), and is refused with another order.
 */
export const sortedPageFromQuery = (ctx: Context, fields: readonly string[], defaultSort?: Sort): Page & { limit: number } => {
  const raw = singleQuery(ctx, 'sort') ?? (defaultSort && sortToken(defaultSort));
  if (raw === undefined) return pageFromQuery(ctx);
  const field = raw.startsWith('-') ? raw.slice(1) : raw;
  if (!fields.includes(field)) {
    throw new ApiError('invalid_request_error', 'invalid_field', `sort must be one of ${fields.join(', ')}, each optionally after - for descending`, {
      param: 'sort',
    });
  }
  const sort: Sort = { field, order: raw.startsWith('-') ? 'desc' : 'asc' };
  const limit = limitFromQuery(ctx);
  const cursor = singleQuery(ctx, 'cursor');
  return { limit, sort, ...(cursor ? { after: decodeSortedCursor(cursor, sort) } : {}) };
};

const decodeSortedCursor = (cursor: string, sort: Sort): { value: string | number; seq: number } => {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  const { sort: token, value, seq } = (decoded ?? {}) as Record<string, unknown>;
  if (token !== undefined && token !== sortToken(sort)) {
    throw new ApiError('invalid_request_error', 'invalid_cursor', `cursor belongs to sort=${String(token)}, not sort=${sortToken(sort)}`, { param: 'cursor' });
  }
  if ((typeof value === 'string' || typeof value === 'number') && Number.isSafeInteger(seq)) return { value, seq: seq as number };
  throw new ApiError('invalid_request_error', 'invalid_cursor', 'cursor is not one this API returned', { param: 'cursor' });
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

export const listBody = <D extends { seq: number }, T>(docs: D[], page: { limit: number; sort?: Sort }, present: (doc: D) => T): ListBody<T> => {
  const shown = docs.slice(0, page.limit);
  const hasMore = docs.length > page.limit;
  const last = shown.at(-1);
  if (!hasMore || !last) return { data: shown.map(present), has_more: hasMore, next_cursor: null };
  const { sort } = page;
  const next = sort
    ? Buffer.from(JSON.stringify({ sort: sortToken(sort), value: (last as Record<string, unknown>)[sort.field], seq: last.seq })).toString('base64url')
    : encodeCursor('before', last.seq);
  return { data: shown.map(present), has_more: true, next_cursor: next };
};

export { singleQuery };
