import type { Context } from 'koa';
import type { Page } from '../projections/read-store.js';
import { ApiError } from './errors.js';

export type ListBody<T> = { data: T[]; has_more: boolean; next_cursor: string | null };

const encodeCursor = (seq: number): string => Buffer.from(JSON.stringify({ before: seq })).toString('base64url');

const decodeCursor = (cursor: string): number => {
  try {
    const { before } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { before?: unknown };
    if (Number.isSafeInteger(before) && (before as number) > 0) return before as number;
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
  const rawLimit = singleQuery(ctx, 'limit');
  const limit = rawLimit === undefined ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ApiError('invalid_request_error', 'invalid_field', 'limit must be an integer from 1 to 100', { param: 'limit' });
  }
  const cursor = singleQuery(ctx, 'cursor');
  return { limit, ...(cursor ? { before: decodeCursor(cursor) } : {}) };
};

export const listBody = <D extends { seq: number }, T>(docs: D[], page: { limit: number }, present: (doc: D) => T): ListBody<T> => {
  const shown = docs.slice(0, page.limit);
  const hasMore = docs.length > page.limit;
  const last = shown.at(-1);
  return { data: shown.map(present), has_more: hasMore, next_cursor: hasMore && last ? encodeCursor(last.seq) : null };
};

export { singleQuery };
