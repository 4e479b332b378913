import type { Collection, Filter, Page, ReadDocument, ReadStore } from '../projections/read-store.js';

/** Index of the first element whose seq is >= `seq` in an array sorted by seq ascending. */
const lowerBound = (docs: readonly ReadDocument[], seq: number): number => {
  let low = 0;
  let high = docs.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((docs[mid] as ReadDocument).seq < seq) low = mid + 1;
    else high = mid;
  }
  return low;
};

const matches = <D extends ReadDocument>(doc: D, filter: Filter<D>): boolean => {
  for (const key in filter) if (doc[key] !== filter[key]) return false;
  return true;
};

/**
 * Documents kept per tenant in `seq` order, so a tenant's newest-first page is a
 * backwards walk from a binary search, never a scan of other tenants.
 */
class MemoryCollection<D extends ReadDocument> implements Collection<D> {
  readonly #byId = new Map<string, D>();
  readonly #byTenant = new Map<string, D[]>();

  async get(id: string): Promise<D | null> {
    return this.#byId.get(id) ?? null;
  }

  async put(doc: D): Promise<void> {
    const previous = this.#byId.get(doc.id);
    this.#byId.set(doc.id, doc);
    if (previous) this.#remove(previous);
    let docs = this.#byTenant.get(doc.tenant);
    if (!docs) this.#byTenant.set(doc.tenant, (docs = []));
    const last = docs.at(-1);
    if (!last || last.seq <= doc.seq) docs.push(doc);
    else docs.splice(lowerBound(docs, doc.seq), 0, doc);
  }

  async list(filter: Filter<D>, page: Page): Promise<D[]> {
    const pool = filter.tenant !== undefined ? [this.#byTenant.get(filter.tenant as string) ?? []] : [...this.#byTenant.values()];
    const found: D[] = [];
    for (const docs of pool) {
      for (let i = (page.before === undefined ? docs.length : lowerBound(docs, page.before)) - 1; i >= 0; i--) {
        const doc = docs[i] as D;
        if (!matches(doc, filter)) continue;
        found.push(doc);
        if (pool.length === 1 && found.length === page.limit) return found;
      }
    }
    return found.sort((a, b) => b.seq - a.seq).slice(0, page.limit);
  }

  #remove(doc: D): void {
    const docs = this.#byTenant.get(doc.tenant);
    if (!docs) return;
    let i = lowerBound(docs, doc.seq);
    while (i < docs.length && docs[i] !== doc && (docs[i] as D).seq === doc.seq) i++;
    if (docs[i] === doc) docs.splice(i, 1);
  }
}

/**
 * The embedded read store: in memory, rebuilt from the event log at every start (the
 * log is the source of truth and replays fast), so it has nothing to lose on a crash.
 */
export class MemoryReadStore implements ReadStore {
  readonly #collections = new Map<string, MemoryCollection<ReadDocument>>();
  readonly #checkpoints = new Map<string, number>();

  collection<D extends ReadDocument>(name: string): Collection<D> {
    let collection = this.#collections.get(name);
    if (!collection) this.#collections.set(name, (collection = new MemoryCollection()));
    return collection as unknown as Collection<D>;
  }

  async checkpoint(projector: string): Promise<number> {
    return this.#checkpoints.get(projector) ?? 0;
  }

  async saveCheckpoint(projector: string, position: number): Promise<void> {
    this.#checkpoints.set(projector, position);
  }

  async close(): Promise<void> {}
}
