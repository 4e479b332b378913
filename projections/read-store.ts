/**
 * The read-store port: documents of read models, and checkpoints of the projectors
 * that build them. Adapters live in infra/ and pass test/projections/read-store.contract.ts.
 */

/** Every read-model document: owned by one tenant, ordered by `seq`, guarded by `revision`. */
export type ReadDocument = {
  readonly id: string;
  readonly tenant: string;
  /** Sort key for lists (newest first): the global position that created the document. */
  readonly seq: number;
  /** Stream revision of the last event applied; a replayed event at or below it is skipped. */
  readonly revision: number;
};

export type Filter<D> = { readonly [K in keyof D]?: D[K] };

export type Page = {
  /** Only documents with `seq` below this (the cursor of the previous page). */
  readonly before?: number;
  readonly limit: number;
};

export interface Collection<D extends ReadDocument> {
  get(id: string): Promise<D | null>;
  /** Inserts or replaces the whole document. */
  put(doc: D): Promise<void>;
  /** Documents matching every field of `filter` by equality, highest `seq` first. */
  list(filter: Filter<D>, page: Page): Promise<D[]>;
}

export interface ReadStore {
  collection<D extends ReadDocument>(name: string): Collection<D>;
  /** Last position a projector applied; 0 if it never ran. */
  checkpoint(projector: string): Promise<number>;
  saveCheckpoint(projector: string, position: number): Promise<void>;
  close(): Promise<void>;
}
