/**
 * What a filter and a page of the read-store port mean, parsed once for every adapter, and
 * evaluated in memory for documents not stored yet (projections/staged-writes.ts). The
 * adapters translate the same parsed conditions into SQL or MongoDB queries; the contract
 * suite (test/projections/read-store.contract.ts) holds all of them to one meaning.
 */
import type { Filter, Page, ReadDocument, Sort } from './read-store.js';

export type Scalar = string | number | boolean | null;
/** A bound of a range, or a value a sort compares: a string or a number. */
export type Ordered = string | number;

export type Condition =
  | { readonly op: 'eq'; readonly value: Scalar }
  | { readonly op: 'in'; readonly values: readonly Scalar[] }
  | { readonly op: 'range'; readonly gte: Ordered | undefined; readonly lt: Ordered | undefined }
  | { readonly op: 'contains'; readonly term: string }
  | { readonly op: 'has'; readonly value: Ordered };

export type FieldCondition = { readonly field: string; readonly condition: Condition };

const isScalar = (value: unknown): value is Scalar => value === null || ['string', 'number', 'boolean'].includes(typeof value);
const isOrdered = (value: unknown): value is Ordered => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));

/** A filter a caller wrote wrongly: a bug of the caller's, never bad input of a client's (routes validate first). */
const invalid = (field: string, what: string): Error => new Error(`read-store filter on ${JSON.stringify(field)}: ${what}`);

const parseCondition = (field: string, value: unknown): Condition => {
  if (isScalar(value)) return { op: 'eq', value };
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(field, 'must be a string, number, boolean, null or one operator');
  const keys = Object.keys(value as object);
  const operator = value as Record<string, unknown>;
  if (keys.length === 1 && keys[0] === '$in') {
    const values = operator.$in;
    if (!Array.isArray(values) || !values.every(isScalar)) throw invalid(field, '$in takes an array of strings, numbers, booleans or nulls');
    return { op: 'in', values };
  }
  if (keys.length === 1 && keys[0] === '$contains') {
    if (typeof operator.$contains !== 'string') throw invalid(field, '$contains takes a string');
    return { op: 'contains', term: operator.$contains };
  }
  if (keys.length === 1 && keys[0] === '$has') {
    if (!isOrdered(operator.$has)) throw invalid(field, '$has takes a string or a number');
    return { op: 'has', value: operator.$has };
  }
  if (keys.length > 0 && keys.every((key) => key === '$gte' || key === '$lt')) {
    const bounds = keys.map((key) => operator[key]);
    if (!bounds.every((bound) => bound === undefined || isOrdered(bound))) throw invalid(field, 'range bounds are strings or numbers');
    const defined = bounds.filter((bound) => bound !== undefined);
    if (new Set(defined.map((bound) => typeof bound)).size > 1) throw invalid(field, 'both range bounds must be of one type');
    return { op: 'range', gte: operator.$gte as Ordered | undefined, lt: operator.$lt as Ordered | undefined };
  }
  throw invalid(field, `unknown operator ${JSON.stringify(keys)}; operators: $in, $gte/$lt, $contains, $has`);
};

/** The filter's conditions in its order; fields whose value is undefined filter nothing. */
export const conditionsOf = <D>(filter: Filter<D>): FieldCondition[] =>
  Object.entries(filter as Record<string, unknown>)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => {
      if (field.includes('\0')) throw invalid(field, 'a field name cannot hold a NUL');
      return { field, condition: parseCondition(field, value) };
    });

/** Only A-Z fold: what SQLite's lower() does, so that every adapter agrees. */
export const foldAscii = (text: string): string => text.replace(/[A-Z]/g, (letter) => letter.toLowerCase());

const inRange = (value: unknown, gte: Ordered | undefined, lt: Ordered | undefined): boolean => {
  const type = typeof (gte ?? lt);
  if (typeof value !== type) return false;
  const ordered = value as Ordered;
  return (gte === undefined || ordered >= gte) && (lt === undefined || ordered < lt);
};

const meets = (value: unknown, condition: Condition): boolean => {
  switch (condition.op) {
    case 'eq':
      return value === condition.value;
    case 'in':
      return condition.values.includes(value as Scalar);
    case 'range':
      return inRange(value, condition.gte, condition.lt);
    case 'contains':
      return typeof value === 'string' && foldAscii(value).includes(foldAscii(condition.term));
    case 'has':
      return Array.isArray(value) && value.includes(condition.value);
  }
};

/** Whether a document meets every condition of the filter. */
export const matchesFilter = (doc: ReadDocument, conditions: readonly FieldCondition[]): boolean =>
  conditions.every(({ field, condition }) => meets((doc as Record<string, unknown>)[field], condition));

/** Checks what a page asks for: `before` lists by seq, `after` belongs to a `sort`. */
export const checkPage = (page: Page): void => {
  if (page.sort && page.before !== undefined) throw new Error('read-store page: `before` pages lists by seq; a sorted list pages with `after`');
  if (page.after && !page.sort) throw new Error('read-store page: `after` needs the `sort` it continues');
  if (page.sort?.field === 'seq') throw new Error('read-store page: lists are by seq already; sort by another field');
};

const sortValue = (doc: ReadDocument, sort: Sort): unknown => (doc as Record<string, unknown>)[sort.field];

/** The order of a page: by the sort field (then newest seq first), or newest seq first. */
export const pageOrder =
  (page: Page) =>
  (a: ReadDocument, b: ReadDocument): number => {
    if (page.sort) {
      const [x, y] = [sortValue(a, page.sort), sortValue(b, page.sort)] as [Ordered, Ordered];
      if (x !== y) return (x < y ? -1 : 1) * (page.sort.order === 'asc' ? 1 : -1);
    }
    return b.seq - a.seq;
  };

/** Whether a document belongs to the page by its position: below `before`, or past `after`. */
export const withinPage = (doc: ReadDocument, page: Page): boolean => {
  if (page.before !== undefined) return doc.seq < page.before;
  if (!page.sort || !page.after) return true;
  const value = sortValue(doc, page.sort);
  if (typeof value !== typeof page.after.value) return false;
  if (value === page.after.value) return doc.seq < page.after.seq;
  return page.sort.order === 'asc' ? (value as Ordered) > page.after.value : (value as Ordered) < page.after.value;
};
