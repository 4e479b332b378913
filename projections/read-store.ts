/**
 * The read-store port: documents of read models, and checkpoints of the projectors
 * that build them. Adapters live in infra/ and pass test/projections/read-store.contract.ts.
 */
import { setImmediate as turn } from 'node:timers/promises';

/** Every read-model document: owned by one tenant, ordered by `seq`, guarded by `revision`. */
export type ReadDocument = {
  readonly id: string;
  readonly tenant: string;
  /** Sort key for lists (newest first): the global position that created the document. */
  readonly seq: number;
  /** Stream revision of the last event applied; a replayed event at or below it is skipped. */
  readonly revision: number;
};

/**
 * A condition on one top-level field besides equality: one of the values; a range (strings
 * compare as text, so RFC 3339 UTC times of one format compare in time order; a bound
 * matches only values of its own type); a substring of a string, letters A-Z compared
 * case-insensitively; an array field that holds the value (a string or number).
 */
export type Operator<V> =
  | { readonly $in: readonly V[] }
  | { readonly $gte?: V; readonly $lt?: V }
  | { readonly $contains: string }
  | { readonly $has: V extends readonly (infer E)[] ? E : never };

/**
 * Conditions on top-level fields, all of which a document meets: a string, number, boolean
 * or null is equality, an object one {@link Operator}.
 */
export type Filter<D> = { readonly [K in keyof D]?: D[K] | Operator<D[K]> };

/** Lists by a top-level string or number field every document has, then newest `seq` first among equals. */
export type Sort = { readonly field: string; readonly order: 'asc' | 'desc' };

export type Page = {
  readonly limit: number;
  /** Only documents with `seq` below this (the cursor of the previous page); lists without `sort` only. */
  readonly before?: number;
  readonly sort?: Sort;
  /** With `sort`: only documents after this one in its order (the last of the previous page). */
  readonly after?: { readonly value: string | number; readonly seq: number };
};

/**
 * A collection and the fields its lists filter on. Each index is an ordered list of
 * top-level fields; the store adds `seq` at its end, since every list sorts by it.
 */
export type CollectionSpec = {
  readonly name: string;
  readonly indexes: readonly (readonly string[])[];
};

/**
 * Where a projector has got to. `lanes` maps each ordered lane of its source (the log, or
 * one partition of one topic) to the offset of the last event applied from it: that is
 * where it resumes. `position` is the highest global position applied, for lag figures.
 */
export type Checkpoint = {
  readonly position: number;
  readonly lanes: Readonly<Record<string, number>>;
};

export const initialCheckpoint: Checkpoint = { position: 0, lanes: {} };

export type DocumentWrite = { readonly collection: string; readonly doc: ReadDocument };

export interface Collection<D extends ReadDocument> {
  get(id: string): Promise<D | null>;
  /** Inserts or replaces the whole document. */
  put(doc: D): Promise<void>;
  /** Documents matching every field of `filter` by equality, highest `seq` first. */
  list(filter: Filter<D>, page: Page): Promise<D[]>;
  /** How many documents match every field of `filter`. */
  count(filter: Filter<D>): Promise<number>;
}

export interface ReadStore {
  /** Creates the collections and their indexes if they do not exist yet (idempotent). */
  prepare(specs: readonly CollectionSpec[]): Promise<void>;
  collection<D extends ReadDocument>(name: string): Collection<D>;
  /** Where the projector named `name` has got to; {@link initialCheckpoint} if it never ran. */
  checkpoint(name: string): Promise<Checkpoint>;
  /**
   * Stores the documents (each replacing the one with its id), then the checkpoints. Where
   * the engine has transactions, all of it or none; elsewhere the checkpoints are written
   * last, so a crash in between only makes idempotent projectors apply some events again.
   */
  commit(writes: readonly DocumentWrite[], checkpoints: Readonly<Record<string, Checkpoint>>): Promise<void>;
  /**
   * Makes collection `source` the new `target` in one step: readers see all the old
   * documents or all the new, never a mix; `source` is gone afterwards (a rebuild's switch).
   */
  replace(target: string, source: string): Promise<void>;
  /** Drops the collections (a rebuild's scratch storage, say) and checkpoints named. */
  drop(collections: readonly string[], checkpoints: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Every document `filter` matches, highest `seq` first, up to `max`, read `pageSize` at a
 * time with a turn of the event loop between pages: a large read on a timer (the embedded
 * store reads synchronously) then never holds up the requests served meanwhile.
 */
export const listInPages = async <D extends ReadDocument>(collection: Collection<D>, filter: Filter<D>, max: number, pageSize = 500): Promise<D[]> => {
  const all: D[] = [];
  let before: number | undefined;
  while (all.length < max) {
    const limit = Math.min(pageSize, max - all.length);
    const page = await collection.list(filter, { limit, ...(before === undefined ? {} : { before }) });
    all.push(...page);
    const last = page[page.length - 1];
    if (page.length < limit || !last) break;
    before = last.seq;
    await turn();
  }
  return all;
};
