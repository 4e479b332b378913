/**
 * The scale-out read store: MongoDB through the official driver. It also runs on
 * FerretDB 1.24 (MongoDB's wire protocol on PostgreSQL), so it uses nothing FerretDB
 * lacks: no transactions, no change streams, no aggregation beyond countDocuments'.
 *
 * Layout, chosen so analytics jobs can read the collections with the plain driver:
 * one MongoDB collection per read-model collection, named as Bosun names it (the database
 * is Bosun's own, so no prefix); `_id` is the read document's `id` (not kept a second time
 * as a field: `get` is by `_id`, and a filter on `id` is sent as `_id`); every other field
 * top-level, as the projector wrote it. Checkpoints live in `_checkpoints`, lanes as an
 * array of `{ lane, offset }`: lane names contain dots, which MongoDB query paths (and
 * FerretDB field names) cannot carry.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient, MongoServerError, type AnyBulkWriteOperation, type Db, type Collection as MongoCollection, type Filter as MongoFilter } from 'mongodb';
import type { Logger } from 'pino';
import { checkPage, conditionsOf, type Condition } from '../projections/read-query.js';
import {
  initialCheckpoint,
  type Checkpoint,
  type Collection,
  type CollectionSpec,
  type DocumentWrite,
  type Filter,
  type Page,
  type ReadDocument,
  type ReadStore,
} from '../projections/read-store.js';

/**
 * Write operations in flight at once, across every commit and put of one store.
 * FerretDB 1.24's `update` keeps the query of each statement that matched a document open,
 * holding a PostgreSQL connection, until the whole command ends (a `defer` in a loop in
 * its msg_update.go), and each write takes one more. Once that many statements in flight
 * reach its pool (50), every command waits for a connection none will release: it hangs
 * for good, until restarted. Measured: one bulk write replacing 100 documents, two
 * replacing 32 each at once, and 24 of 8 at once all wedged it; 32 in flight never did.
 * Real MongoDB has no such limit: raise it there. Every process writing to one FerretDB
 * takes from the same pool, so their budgets together must stay below it.
 */
export const FERRETDB_MAX_WRITES_IN_FLIGHT = 32;

/**
 * Operations per bulk write, and bulk writes of one commit in flight at once. FerretDB runs
 * the statements of one bulk write one after another, so 8 bulk writes of 4 at once
 * inserted and replaced 1.7 to 2.6 times as many documents/s there as one of 32 (4 of 8
 * about as many, 2 of 16 fewer). Concurrent bulk writes are safe because a commit writes each
 * document once (repeated ids are collapsed first): no two writes in flight touch one document.
 */
export const DEFAULT_BATCH_SIZE = 4;
export const DEFAULT_WRITE_CONCURRENCY = 8;

export const CHECKPOINTS_COLLECTION = '_checkpoints';

export const DEFAULT_DATABASE = 'bosun';

/** Server error codes the replace fallback tells apart. */
const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;
const NOT_IMPLEMENTED = 238;

const hasCode = (error: unknown, code: number): boolean => error instanceof MongoServerError && error.code === code;

export type MongoReadStoreOptions = {
  /** For example `mongodb://127.0.0.1:27017/bosun?replicaSet=rs0`; the path names the database. */
  readonly url: string;
  /** @defaultValue the database in the URL's path, else {@link DEFAULT_DATABASE} */
  readonly database?: string;
  readonly logger: Logger;
  /** Operations per bulk write. @defaultValue {@link DEFAULT_BATCH_SIZE} */
  readonly batchSize?: number;
  /** Bulk writes of one commit in flight at once. @defaultValue {@link DEFAULT_WRITE_CONCURRENCY} */
  readonly writeConcurrency?: number;
  /**
   * Bound on write operations in flight across the whole store; at least `batchSize`.
   * On MongoDB, say `batchSize: 1000, maxWritesInFlight: 4000`.
   * @defaultValue {@link FERRETDB_MAX_WRITES_IN_FLIGHT}
   */
  readonly maxWritesInFlight?: number;
};

export interface MongoReadStore extends ReadStore {
  /** Resolves once the server answers a ping: for readiness checks. */
  ping(): Promise<void>;
  /** Drops the whole database, checkpoints included: a replay's scratch database. */
  dropDatabase(): Promise<void>;
}

/** What is stored: the read document with its `id` as `_id`. */
type Stored = { _id: string; [field: string]: unknown };

type StoredCheckpoint = { _id: string; position: number; lanes: { lane: string; offset: number }[] };

/** The URL without its user and password, for logs and error messages. */
export const redactUrl = (url: string): string => url.replace(/^([a-z+]+:\/\/)[^@/]*@/i, '$1***@');

/**
 * The database named in a connection string's path, if any. Parsed by hand: a URL with
 * several hosts (`h1:27017,h2:27017`) is not one the WHATWG parser accepts.
 */
export const databaseFromUrl = (url: string): string | undefined => {
  const rest = url.replace(/^mongodb(\+srv)?:\/\//, '');
  const slash = rest.indexOf('/');
  if (slash === -1) return undefined;
  const path = rest.slice(slash + 1).split('?')[0] ?? '';
  return path === '' ? undefined : decodeURIComponent(path);
};

/** The same connection string naming `database` in its path instead (hosts and options kept). */
export const withDatabase = (url: string, database: string): string => {
  const [, scheme = '', hosts = '', , query = ''] = /^(mongodb(?:\+srv)?:\/\/)([^/?]*)(\/[^?]*)?(\?.*)?$/.exec(url) ?? [];
  if (!scheme) throw new Error(`not a mongodb:// connection string: ${redactUrl(url)}`);
  return `${scheme}${hosts}/${encodeURIComponent(database)}${query}`;
};

/**
 * Field names as stored. FerretDB refuses any key, at any depth, that contains `.` or
 * starts with `$` (MongoDB takes them, but its query paths cannot reach them), and
 * documents carry user JSON (a task's input and outputs). So those characters, and `%`
 * that escapes them, are percent-encoded: `a.b` is stored as `a%2Eb`, `$ref` as `%24ref`.
 * Any other key is stored as it is, so analytics jobs see ordinary names unchanged.
 */
const ESCAPED_KEY = /^\$|[.%]/;
export const encodeKey = (key: string): string => (ESCAPED_KEY.test(key) ? key.replaceAll('%', '%25').replaceAll('.', '%2E').replace(/^\$/, '%24') : key);
const UNESCAPES: Readonly<Record<string, string>> = { '%25': '%', '%2E': '.', '%24': '$' };
export const decodeKey = (key: string): string => (key.includes('%') ? key.replace(/%(?:25|2E|24)/g, (escape) => UNESCAPES[escape] ?? escape) : key);

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** A copy with every key of every nested plain object renamed by `rename`; other values as they are. */
const renameKeys = (value: unknown, rename: (key: string) => string): unknown => {
  if (Array.isArray(value)) return value.map((item) => renameKeys(item, rename));
  if (!isPlainObject(value)) return value;
  const renamed: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) renamed[rename(key)] = renameKeys(inner, rename);
  return renamed;
};

/** A document as this adapter stores it (`_id`, keys escaped); exported for seeding a database in bulk (bench/task-lists.ts). */
export const toStored = (doc: ReadDocument): Stored => {
  const { id, ...fields } = doc;
  return { _id: id, ...(renameKeys(fields, encodeKey) as Record<string, unknown>) };
};

const fromStored = <D extends ReadDocument>(stored: Stored): D => {
  const { _id, ...fields } = stored;
  return { id: _id, ...(renameKeys(fields, decodeKey) as Record<string, unknown>) } as unknown as D;
};

const storedField = (field: string): string => (field === 'id' ? '_id' : encodeKey(field));

/** Escapes a term for a regular expression that matches it literally. */
const literally = (term: string): string => term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Letters A-Z of a term matched either way, other characters as they are (what SQLite's lower() folds). */
const foldedPattern = (term: string): string => literally(term).replace(/[A-Za-z]/g, (letter) => `[${letter.toUpperCase()}${letter.toLowerCase()}]`);

const toCondition = (condition: Condition): unknown => {
  switch (condition.op) {
    case 'eq':
      return condition.value;
    case 'in':
      return { $in: condition.values };
    case 'range':
      return { ...(condition.gte !== undefined ? { $gte: condition.gte } : {}), ...(condition.lt !== undefined ? { $lt: condition.lt } : {}) };
    case 'contains':
      return { $regex: foldedPattern(condition.term) };
    case 'has':
      return { $elemMatch: { $eq: condition.value } };
  }
};

/**
 * The filter's conditions (parsed, so a value from a request is never read as operators).
 * A null also matches a missing field (MongoDB's rule); projectors write every field.
 */
const toQuery = (filter: Filter<ReadDocument>): MongoFilter<Stored> => {
  const query: Record<string, unknown> = {};
  for (const { field, condition } of conditionsOf(filter)) query[storedField(field)] = toCondition(condition);
  return query as MongoFilter<Stored>;
};

/** The filter and the page's position: below `before`, or past `after` in the sort's order. */
const toPageQuery = (filter: Filter<ReadDocument>, page: Page): MongoFilter<Stored> => {
  const query = toQuery(filter);
  if (page.before !== undefined) return { $and: [query, { seq: { $lt: page.before } }] } as MongoFilter<Stored>;
  if (!page.sort || !page.after) return query;
  const field = storedField(page.sort.field);
  const past = { [field]: { [page.sort.order === 'asc' ? '$gt' : '$lt']: page.after.value } };
  const tied = { [field]: page.after.value, seq: { $lt: page.after.seq } };
  return { $and: [query, { $or: [past, tied] }] } as MongoFilter<Stored>;
};

const toSort = (page: Page): Record<string, 1 | -1> =>
  page.sort ? { [storedField(page.sort.field)]: page.sort.order === 'asc' ? 1 : -1, seq: -1 } : { seq: -1 };

/** The error with what was being done, keeping the driver's error as its cause. */
const failed = (what: string, error: unknown): Error =>
  new Error(`MongoDB read store: ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });

/**
 * Permits for write operations in flight, granted first come first served so a large
 * commit is not starved by a stream of small puts.
 */
export class WriteBudget {
  readonly #capacity: number;
  #used = 0;
  readonly #waiting: { readonly count: number; readonly grant: () => void }[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  async run<T>(count: number, work: () => Promise<T>): Promise<T> {
    if (this.#waiting.length > 0 || this.#used + count > this.#capacity) {
      await new Promise<void>((grant) => this.#waiting.push({ count, grant }));
    } else {
      this.#used += count;
    }
    try {
      return await work();
    } finally {
      this.#used -= count;
      for (let next = this.#waiting[0]; next && this.#used + next.count <= this.#capacity; next = this.#waiting[0]) {
        this.#waiting.shift();
        this.#used += next.count;
        next.grant();
      }
    }
  }
}

/** Runs `tasks` with at most `limit` in flight; rejects with the first failure once all settled. */
const runBounded = async (tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> => {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < tasks.length) {
      const task = tasks[next++] as () => Promise<void>;
      try {
        await task();
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  if (errors.length > 0) throw errors[0];
};

class MongoReadCollection<D extends ReadDocument> implements Collection<D> {
  readonly #name: string;
  readonly #collection: MongoCollection<Stored>;
  readonly #budget: WriteBudget;

  constructor(db: Db, name: string, budget: WriteBudget) {
    this.#name = name;
    this.#collection = db.collection<Stored>(name);
    this.#budget = budget;
  }

  async get(id: string): Promise<D | null> {
    try {
      const stored = await this.#collection.findOne({ _id: id });
      return stored ? fromStored<D>(stored) : null;
    } catch (error) {
      throw failed(`get ${this.#name}/${id}`, error);
    }
  }

  async put(doc: D): Promise<void> {
    try {
      await this.#budget.run(1, () => this.#collection.replaceOne({ _id: doc.id }, toStored(doc), { upsert: true }));
    } catch (error) {
      throw failed(`put ${this.#name}/${doc.id}`, error);
    }
  }

  async list(filter: Filter<D>, page: Page): Promise<D[]> {
    // MongoDB reads a limit of 0 as "no limit".
    if (page.limit <= 0) return [];
    checkPage(page);
    const query = toPageQuery(filter as Filter<ReadDocument>, page);
    try {
      const found = await this.#collection.find(query).sort(toSort(page)).limit(page.limit).toArray();
      return found.map((stored) => fromStored<D>(stored));
    } catch (error) {
      throw failed(`list ${this.#name} ${JSON.stringify(filter)} ${JSON.stringify(page)}`, error);
    }
  }

  async count(filter: Filter<D>): Promise<number> {
    const query = toQuery(filter as Filter<ReadDocument>);
    try {
      return await this.#collection.countDocuments(query);
    } catch (error) {
      throw failed(`count ${this.#name} ${JSON.stringify(filter)}`, error);
    }
  }
}

class MongoReadStoreImpl implements MongoReadStore {
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #writeConcurrency: number;
  readonly #budget: WriteBudget;
  readonly #checkpoints: MongoCollection<StoredCheckpoint>;
  /** Whether renameCollection takes `dropTarget` (MongoDB); learnt false at the first refusal (FerretDB). */
  #renameDropsTarget = true;

  constructor(client: MongoClient, db: Db, logger: Logger, limits: { batchSize: number; writeConcurrency: number; maxWritesInFlight: number }) {
    this.#client = client;
    this.#db = db;
    this.#logger = logger;
    this.#batchSize = limits.batchSize;
    this.#writeConcurrency = limits.writeConcurrency;
    this.#budget = new WriteBudget(limits.maxWritesInFlight);
    this.#checkpoints = db.collection<StoredCheckpoint>(CHECKPOINTS_COLLECTION);
  }

  async prepare(specs: readonly CollectionSpec[]): Promise<void> {
    for (const spec of specs) {
      // Every list sorts by seq newest first, so each index ends with it; tenant's serves
      // the lists that filter on the tenant alone. Duplicates collapse by their key.
      const keys = new Map<string, Record<string, 1 | -1>>();
      for (const fields of [['tenant'], ...spec.indexes]) {
        const key: Record<string, 1 | -1> = {};
        for (const field of fields) key[field === 'id' ? '_id' : encodeKey(field)] = 1;
        key.seq = -1;
        keys.set(JSON.stringify(key), key);
      }
      const collection = this.#db.collection(spec.name);
      let existing: Set<string>;
      try {
        existing = new Set((await collection.listIndexes().toArray()).map((index) => JSON.stringify(index.key)));
      } catch (error) {
        if (!hasCode(error, NAMESPACE_NOT_FOUND)) throw failed(`prepare ${spec.name}: listing its indexes`, error);
        existing = new Set();
      }
      // Only the missing ones, each on its own: FerretDB 1.24 drops the connection (a panic)
      // on a createIndexes of two or more indexes that all exist, which another process
      // preparing at the same moment could make happen even after the listing.
      for (const [json, key] of keys) {
        if (existing.has(json)) continue;
        try {
          await collection.createIndex(key);
        } catch (error) {
          throw failed(`prepare ${spec.name}: creating index ${json}`, error);
        }
      }
    }
    this.#logger.debug({ collections: specs.map((spec) => spec.name) }, 'read-model collections prepared');
  }

  collection<D extends ReadDocument>(name: string): Collection<D> {
    return new MongoReadCollection<D>(this.#db, name, this.#budget);
  }

  async checkpoint(name: string): Promise<Checkpoint> {
    let stored: StoredCheckpoint | null;
    try {
      stored = await this.#checkpoints.findOne({ _id: name });
    } catch (error) {
      throw failed(`read checkpoint ${name}`, error);
    }
    if (!stored) return initialCheckpoint;
    return { position: stored.position, lanes: Object.fromEntries(stored.lanes.map(({ lane, offset }) => [lane, offset])) };
  }

  async commit(writes: readonly DocumentWrite[], checkpoints: Readonly<Record<string, Checkpoint>>): Promise<void> {
    const started = performance.now();
    // The last write of an id wins; collapsing also means no two bulk writes in flight
    // touch one document (concurrent updates of one document lose writes on FerretDB).
    const byCollection = new Map<string, Map<string, ReadDocument>>();
    for (const { collection, doc } of writes) {
      let docs = byCollection.get(collection);
      if (!docs) byCollection.set(collection, (docs = new Map()));
      docs.set(doc.id, doc);
    }
    const batches: (() => Promise<void>)[] = [];
    let documents = 0;
    for (const [name, docs] of byCollection) {
      const operations: AnyBulkWriteOperation<Stored>[] = [...docs.values()].map((doc) => ({
        replaceOne: { filter: { _id: doc.id }, replacement: toStored(doc), upsert: true },
      }));
      documents += operations.length;
      const collection = this.#db.collection<Stored>(name);
      for (let start = 0; start < operations.length; start += this.#batchSize) {
        const batch = operations.slice(start, start + this.#batchSize);
        batches.push(async () => {
          try {
            // Unordered: the documents are independent, and the server need not stop at a failure.
            await this.#budget.run(batch.length, () => collection.bulkWrite(batch, { ordered: false }));
          } catch (error) {
            throw failed(`commit of ${batch.length} documents to ${name} (batch from document ${start} of ${operations.length})`, error);
          }
        });
      }
    }
    await runBounded(batches, this.#writeConcurrency);

    // Last, and only once every document is stored: a crash before this leaves the old
    // checkpoints, so the projectors apply those events again, which they do idempotently.
    const names = Object.keys(checkpoints);
    if (names.length > 0) {
      const operations: AnyBulkWriteOperation<StoredCheckpoint>[] = Object.entries(checkpoints).map(([name, checkpoint]) => ({
        replaceOne: {
          filter: { _id: name },
          replacement: { _id: name, position: checkpoint.position, lanes: Object.entries(checkpoint.lanes).map(([lane, offset]) => ({ lane, offset })) },
          upsert: true,
        },
      }));
      try {
        for (let start = 0; start < operations.length; start += this.#batchSize) {
          const batch = operations.slice(start, start + this.#batchSize);
          await this.#budget.run(batch.length, () => this.#checkpoints.bulkWrite(batch, { ordered: false }));
        }
      } catch (error) {
        throw failed(`saving checkpoints ${names.join(', ')} after ${documents} documents`, error);
      }
    }
    this.#logger.debug({ documents, batches: batches.length, checkpoints: names, ms: Math.round(performance.now() - started) }, 'read models committed');
  }

  async replace(target: string, source: string): Promise<void> {
    if (this.#renameDropsTarget) {
      try {
        // One step on MongoDB: readers see the old collection or the new one, never a mix or nothing.
        await this.#db.renameCollection(source, target, { dropTarget: true });
        this.#logger.info({ target, source }, 'read-model collection replaced');
        return;
      } catch (error) {
        if (!hasCode(error, NOT_IMPLEMENTED)) throw failed(`replace ${target} with ${source}`, error);
        // FerretDB 1.24 renames only onto a name that is free.
        this.#renameDropsTarget = false;
        this.#logger.warn(
          { target, source },
          'the server cannot rename onto an existing collection (FerretDB); replacing in two renames, with a moment where the collection looks empty',
        );
      }
    }
    await this.#replaceInTwoSteps(target, source);
  }

  /**
   * Moves `target` aside, renames `source` onto its name, then drops the old one. Readers
   * never see a mix, but between the two renames they see an empty collection (a few ms).
   * If the second rename fails the old collection is put back. A write to `target` that
   * lands in that moment makes a new collection, so the old one is moved aside again.
   */
  async #replaceInTwoSteps(target: string, source: string): Promise<void> {
    const aside: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const old = `${target}_replaced_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
      try {
        await this.#db.renameCollection(target, old);
        aside.push(old);
      } catch (error) {
        if (!hasCode(error, NAMESPACE_NOT_FOUND)) throw failed(`replace ${target} with ${source}: moving ${target} aside to ${old}`, error);
      }
      try {
        await this.#db.renameCollection(source, target);
        break;
      } catch (error) {
        if (hasCode(error, NAMESPACE_EXISTS) && attempt < 3) continue;
        const restored = aside.at(-1);
        if (restored) {
          await this.#db.renameCollection(restored, target).catch((restoreError: unknown) => {
            this.#logger.error(
              { err: restoreError, target, aside: restored },
              'could not put the old collection back after a failed replace; its documents are in the collection named aside',
            );
          });
          aside.pop();
        }
        throw failed(`replace ${target} with ${source}: renaming ${source} to ${target} (attempt ${attempt})`, error);
      }
    }
    for (const old of aside) {
      try {
        await this.#db.collection(old).drop();
      } catch (error) {
        throw failed(`replace ${target} with ${source}: dropping the old collection ${old} (the switch itself is done)`, error);
      }
    }
    this.#logger.info({ target, source, movedAside: aside }, 'read-model collection replaced in two renames');
  }

  async drop(collections: readonly string[], checkpoints: readonly string[]): Promise<void> {
    for (const name of collections) {
      try {
        // The driver ignores a collection that does not exist.
        await this.#db.collection(name).drop();
      } catch (error) {
        throw failed(`drop ${name}`, error);
      }
    }
    if (checkpoints.length > 0) {
      try {
        await this.#checkpoints.deleteMany({ _id: { $in: [...checkpoints] } });
      } catch (error) {
        throw failed(`drop checkpoints ${checkpoints.join(', ')}`, error);
      }
    }
  }

  async ping(): Promise<void> {
    try {
      await this.#db.command({ ping: 1 });
    } catch (error) {
      throw failed(`ping of database ${this.#db.databaseName}`, error);
    }
  }

  async dropDatabase(): Promise<void> {
    try {
      await this.#db.dropDatabase();
    } catch (error) {
      throw failed(`drop database ${this.#db.databaseName}`, error);
    }
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

/** Opens the store; the driver connects on first use, so an unreachable server shows up there (or in `ping`). */
export const openMongoReadStore = (options: MongoReadStoreOptions): MongoReadStore => {
  const limits = {
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    writeConcurrency: options.writeConcurrency ?? DEFAULT_WRITE_CONCURRENCY,
    maxWritesInFlight: options.maxWritesInFlight ?? FERRETDB_MAX_WRITES_IN_FLIGHT,
  };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`MongoDB read store: ${name} must be a positive integer, got ${value}`);
  }
  // A batch larger than the budget would wait for ever.
  if (limits.batchSize > limits.maxWritesInFlight) {
    throw new Error(`MongoDB read store: batchSize (${limits.batchSize}) must not exceed maxWritesInFlight (${limits.maxWritesInFlight})`);
  }
  const database = options.database ?? databaseFromUrl(options.url) ?? DEFAULT_DATABASE;
  // Undefined fields are left out, as JSON would, instead of being stored as null.
  const client = new MongoClient(options.url, { ignoreUndefined: true });
  const logger = options.logger.child({ component: 'mongo-read-store', database });
  logger.info({ url: redactUrl(options.url), ...limits }, 'MongoDB read store opened');
  return new MongoReadStoreImpl(client, client.db(database), logger, limits);
};

/** Resolves once the server at `url` answers a ping; for readiness checks before opening anything. */
export const pingMongo = async (url: string, timeoutMs = 2000): Promise<void> => {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.db('admin').command({ ping: 1 });
  } catch (error) {
    throw failed(`ping of ${redactUrl(url)}`, error);
  } finally {
    await client.close();
  }
};
