/**
 * The embedded read store: read models and projector checkpoints in one SQLite file of the
 * data directory, written by this process only, read on the main thread. Documents and
 * checkpoints are committed in one transaction, so a checkpoint never covers a document
 * that is not there; a restart resumes from the checkpoint instead of replaying the log.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pino, { type Logger } from 'pino';
import {
  initialCheckpoint,
  type Checkpoint,
  type Collection,
  type CollectionSpec,
  type DocumentWrite,
  type ReadDocument,
  type ReadStore,
} from '../projections/read-store.js';
import { lockDirectory } from './embedded-event-store-files.js';
import { CollectionTables, indexSuffix } from './embedded-read-store-collections.js';
import { checkpointsTable, createIndex, indexNamePrefix, layoutVersion, schema, table, tableName, writerPragmas } from './embedded-read-store-sql.js';

export type EmbeddedReadStoreOptions = {
  /** The SQLite file, created with its directory if missing; `:memory:` for a store that lives and dies with the process. */
  readonly file: string;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
  /**
   * Reads the file beside the process that owns it (`bosun projections verify` while the
   * server runs, say): takes no lock, and refuses every write.
   */
  readonly readonly?: boolean;
};

/** A write asked of a store opened with `readonly: true`. */
export class ReadOnlyReadStoreError extends Error {
  override readonly name = 'ReadOnlyReadStoreError';
  readonly code = 'read_only';
  constructor(file: string, operation: string) {
    super(`read store ${file} is open read-only: ${operation} refused`);
  }
}

type Statement<P extends unknown[], R> = Database.Statement<P, R>;

export class EmbeddedReadStore implements ReadStore {
  readonly #file: string;
  readonly #db: Database.Database;
  /** The exclusive lock beside the file; null when read-only or in memory. */
  readonly #lock: Database.Database | null;
  readonly #logger: Logger;
  readonly #readonly: boolean;
  readonly #tables: CollectionTables;
  readonly #views = new Map<string, Collection<ReadDocument>>();
  readonly #tableIndexes: Statement<[string], string>;
  readonly #getCheckpoint: Statement<[string], string>;
  readonly #putCheckpoint: Statement<[string, string], unknown>;
  readonly #deleteCheckpoint: Statement<[string], unknown>;
  /** Every write of one commit in one transaction: all of it is stored, or none. */
  readonly #commitTransaction: (writes: readonly DocumentWrite[], checkpoints: Readonly<Record<string, Checkpoint>>) => void;
  #closed = false;

  constructor(file: string, db: Database.Database, lock: Database.Database | null, logger: Logger, readonly: boolean) {
    this.#file = file;
    this.#db = db;
    this.#lock = lock;
    this.#logger = logger;
    this.#readonly = readonly;
    this.#tables = new CollectionTables(db, readonly, () => this.#open());
    this.#tableIndexes = db.prepare<[string], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?").pluck();
    this.#getCheckpoint = db.prepare<[string], string>(`SELECT checkpoint FROM ${checkpointsTable} WHERE name = ?`).pluck();
    this.#putCheckpoint = db.prepare(
      `INSERT INTO ${checkpointsTable} (name, checkpoint) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET checkpoint = excluded.checkpoint`,
    );
    this.#deleteCheckpoint = db.prepare(`DELETE FROM ${checkpointsTable} WHERE name = ?`);
    this.#commitTransaction = db.transaction((writes: readonly DocumentWrite[], checkpoints: Readonly<Record<string, Checkpoint>>) => {
      for (const { collection, doc } of writes) {
        try {
          this.#tables.put(collection, doc);
        } catch (error) {
          throw new Error(`read store ${file}: document ${String(doc.id)} of ${collection} not stored, nor anything of its commit`, { cause: error });
        }
      }
      for (const [name, checkpoint] of Object.entries(checkpoints)) this.#putCheckpoint.run(name, JSON.stringify(checkpoint));
    });
  }

  async prepare(specs: readonly CollectionSpec[]): Promise<void> {
    this.#writable('prepare');
    // Specs naming one collection twice get the union of their indexes.
    const wanted = new Map<string, Map<string, readonly string[]>>();
    for (const { name, indexes } of specs) {
      let byPrefix = wanted.get(name);
      if (!byPrefix) wanted.set(name, (byPrefix = new Map()));
      for (const fields of indexes) byPrefix.set(indexNamePrefix(fields), fields);
    }
    this.#db.transaction(() => {
      for (const [collection, byPrefix] of wanted) {
        this.#tables.create(collection);
        const existing = this.#tableIndexes.all(tableName(collection));
        // Indexes a spec no longer lists stay: prepare cannot tell them from another caller's.
        // A rebuild into a fresh collection leaves them behind with the old table.
        for (const [prefix, fields] of byPrefix) {
          if (existing.some((name) => name.startsWith(prefix))) continue;
          const started = performance.now();
          this.#db.exec(createIndex(collection, fields, indexSuffix()));
          this.#logger.info({ collection, fields, ms: Math.round(performance.now() - started) }, 'read store: index created');
        }
      }
    })();
  }

  collection<D extends ReadDocument>(name: string): Collection<D> {
    let view = this.#views.get(name);
    if (!view) this.#views.set(name, (view = this.#tables.view(name, (doc) => this.commit([{ collection: name, doc }], {}))));
    return view as unknown as Collection<D>;
  }

  async checkpoint(name: string): Promise<Checkpoint> {
    this.#open();
    const stored = this.#getCheckpoint.get(name);
    if (stored === undefined) return initialCheckpoint;
    const checkpoint = JSON.parse(stored) as Checkpoint;
    if (typeof checkpoint?.position !== 'number' || typeof checkpoint.lanes !== 'object' || checkpoint.lanes === null) {
      throw new Error(`read store ${this.#file}: checkpoint ${name} is not {position, lanes}: ${stored.slice(0, 200)}`);
    }
    return checkpoint;
  }

  async commit(writes: readonly DocumentWrite[], checkpoints: Readonly<Record<string, Checkpoint>>): Promise<void> {
    this.#writable('commit');
    this.#commitTransaction(writes, checkpoints);
  }

  async replace(target: string, source: string): Promise<void> {
    this.#writable('replace');
    if (target === source) throw new Error(`read store ${this.#file}: cannot replace collection ${target} with itself`);
    try {
      this.#db.transaction(() => {
        const sourceExists = this.#tables.exists(source);
        this.#db.exec(`DROP TABLE IF EXISTS ${table(target)}`);
        // The table keeps its indexes (and their names) under its new name: nothing is copied.
        if (sourceExists) this.#db.exec(`ALTER TABLE ${table(source)} RENAME TO ${table(target)}`);
      })();
    } catch (error) {
      throw new Error(`read store ${this.#file}: replacing collection ${target} with ${source} failed; both are as they were`, { cause: error });
    } finally {
      this.#tables.forget(target);
      this.#tables.forget(source);
    }
    this.#logger.info({ target, source }, 'read store: collection replaced');
  }

  async drop(collections: readonly string[], checkpoints: readonly string[]): Promise<void> {
    this.#writable('drop');
    try {
      this.#db.transaction(() => {
        for (const collection of collections) this.#db.exec(`DROP TABLE IF EXISTS ${table(collection)}`);
        for (const name of checkpoints) this.#deleteCheckpoint.run(name);
      })();
    } finally {
      for (const collection of collections) this.#tables.forget(collection);
    }
    if (collections.length > 0 || checkpoints.length > 0) this.#logger.info({ collections, checkpoints }, 'read store: dropped');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tables.clear();
    this.#db.close();
    this.#lock?.close();
    this.#logger.info({ file: this.#file }, 'read store closed');
  }

  #open(): void {
    if (this.#closed) throw new Error(`read store ${this.#file} is closed`);
  }

  #writable(operation: string): void {
    this.#open();
    if (this.#readonly) throw new ReadOnlyReadStoreError(this.#file, operation);
  }
}

/** Opens (or creates) the file and lays out its tables; a second writer of the same file fails here. */
export const openEmbeddedReadStore = ({ file, logger = pino({ enabled: false }), readonly = false }: EmbeddedReadStoreOptions): EmbeddedReadStore => {
  const inMemory = file === ':memory:';
  if (inMemory && readonly) throw new Error('a read-only read store needs a file: there is nothing to read in :memory:');
  if (!inMemory && !readonly) mkdirSync(dirname(file), { recursive: true });
  // Read-only stores take no lock: WAL lets them read beside the owner's writes.
  const lock = inMemory || readonly ? null : lockDirectory(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, readonly ? { readonly: true, fileMustExist: true, timeout: 1000 } : { timeout: 1000 });
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > layoutVersion) throw new Error(`layout version ${version} is newer than this Bosun's (${layoutVersion})`);
    if (readonly) {
      if (version !== layoutVersion) throw new Error('not a read store: it has no layout version');
    } else {
      for (const pragma of writerPragmas) db.pragma(pragma);
      db.exec(schema);
      db.pragma(`user_version = ${layoutVersion}`);
    }
    logger.info({ file, readonly }, 'read store opened');
    return new EmbeddedReadStore(file, db, lock, logger, readonly);
  } catch (error) {
    db?.close();
    lock?.close();
    throw new Error(`read store ${file} cannot be opened${readonly ? ' read-only' : ''}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
};
