import { checkPage, conditionsOf, matchesFilter, pageOrder, withinPage } from './read-query.js';
import type { Checkpoint, Collection, CollectionSpec, DocumentWrite, Page, ReadDocument, ReadStore } from './read-store.js';

/** What a put replaced in the staging area (undefined: nothing was staged). */
type Undo = { readonly collection: string; readonly id: string; readonly previous: ReadDocument | undefined };

/**
 * The writes of one batch of events, held in memory and committed to the store in one go
 * with the projectors' checkpoints: one round trip per batch instead of one per document,
 * and never a checkpoint ahead of its documents. Reads see the staged documents over the
 * stored ones. A savepoint undoes what one projector staged for an event it failed on.
 */
export class StagedWrites implements ReadStore {
  readonly #staged = new Map<string, Map<string, ReadDocument>>();
  /** Every put in order, for savepoints. */
  readonly #undo: Undo[] = [];
  readonly #collections = new Map<string, Collection<ReadDocument>>();

  constructor(private readonly store: ReadStore) {}

  get size(): number {
    return this.#undo.length;
  }

  savepoint(): number {
    return this.#undo.length;
  }

  rollbackTo(savepoint: number): void {
    while (this.#undo.length > savepoint) {
      const { collection, id, previous } = this.#undo.pop() as Undo;
      const docs = this.#staged.get(collection) as Map<string, ReadDocument>;
      if (previous === undefined) docs.delete(id);
      else docs.set(id, previous);
    }
  }

  /** Commits the staged documents and `checkpoints`, then starts afresh. */
  async commit(writes: readonly DocumentWrite[], checkpoints: Readonly<Record<string, Checkpoint>>): Promise<void> {
    for (const write of writes) this.#stage(write.collection, write.doc);
    const staged: DocumentWrite[] = [];
    for (const [collection, docs] of this.#staged) for (const doc of docs.values()) staged.push({ collection, doc });
    await this.store.commit(staged, checkpoints);
    this.#staged.clear();
    this.#undo.length = 0;
  }

  collection<D extends ReadDocument>(name: string): Collection<D> {
    let collection = this.#collections.get(name);
    if (!collection) this.#collections.set(name, (collection = this.#view(name)));
    return collection as unknown as Collection<D>;
  }

  prepare(specs: readonly CollectionSpec[]): Promise<void> {
    return this.store.prepare(specs);
  }

  checkpoint(name: string): Promise<Checkpoint> {
    return this.store.checkpoint(name);
  }

  replace(): Promise<void> {
    throw new Error('a projector cannot replace collections while applying events');
  }

  drop(): Promise<void> {
    throw new Error('a projector cannot drop collections while applying events');
  }

  async close(): Promise<void> {}

  #stage(collection: string, doc: ReadDocument): void {
    let docs = this.#staged.get(collection);
    if (!docs) this.#staged.set(collection, (docs = new Map()));
    this.#undo.push({ collection, id: doc.id, previous: docs.get(doc.id) });
    docs.set(doc.id, doc);
  }

  #view(name: string): Collection<ReadDocument> {
    const stored = this.store.collection<ReadDocument>(name);
    const staged = () => this.#staged.get(name);
    return {
      get: async (id) => staged()?.get(id) ?? stored.get(id),
      put: async (doc) => this.#stage(name, doc),
      list: async (filter, page: Page) => {
        const docs = staged();
        if (!docs || docs.size === 0) return stored.list(filter, page);
        checkPage(page);
        const conditions = conditionsOf(filter);
        // Stored documents that were staged since are stale: ask for enough to make up for them.
        const found = (await stored.list(filter, { ...page, limit: page.limit + docs.size })).filter((doc) => !docs.has(doc.id));
        for (const doc of docs.values()) if (matchesFilter(doc, conditions) && withinPage(doc, page)) found.push(doc);
        return found.sort(pageOrder(page)).slice(0, page.limit);
      },
      count: async (filter) => {
        const conditions = conditionsOf(filter);
        let count = await stored.count(filter);
        for (const doc of staged()?.values() ?? []) {
          const before = await stored.get(doc.id);
          count += Number(matchesFilter(doc, conditions)) - Number(before !== null && matchesFilter(before, conditions));
        }
        return count;
      },
    };
  }
}
