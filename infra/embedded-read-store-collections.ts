/**
 * The embedded read store's collections on one connection: their tables, created on first
 * use, and their statements, prepared once per collection and filter shape, so that a read
 * on the main thread costs one SQLite step and the parsing of what it returns.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { checkPage, conditionsOf } from '../projections/read-query.js';
import type { Collection, Filter, Page, ReadDocument } from '../projections/read-store.js';
import { bindFilter, countDocuments, createTable, getDocument, listDocuments, tableName, upsertDocument } from './embedded-read-store-sql.js';

type Statement<P extends unknown[], R> = Database.Statement<P, R>;

/** A collection's cached statements; list statements per filter and page shape, count statements per filter shape. */
type CollectionStatements = {
  readonly get: Statement<[string], string>;
  upsert: Statement<[string, string, number, string], unknown> | null;
  readonly lists: Map<string, Statement<unknown[], string>>;
  readonly counts: Map<string, Statement<unknown[], number>>;
};

/** Makes index names unique in the file (see indexNamePrefix). */
export const indexSuffix = (): string => randomUUID().slice(0, 8);

const isNoSuchTable = (error: unknown): boolean => error instanceof Database.SqliteError && error.message.startsWith('no such table');

export class CollectionTables {
  readonly #db: Database.Database;
  readonly #readonly: boolean;
  /** Throws once the store is closed: checked before anything is prepared. */
  readonly #ensureOpen: () => void;
  readonly #statements = new Map<string, CollectionStatements>();
  readonly #tableExists: Statement<[string], number>;

  constructor(db: Database.Database, readonly: boolean, ensureOpen: () => void) {
    this.#db = db;
    this.#readonly = readonly;
    this.#ensureOpen = ensureOpen;
    this.#tableExists = db.prepare<[string], number>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?").pluck();
  }

  exists(collection: string): boolean {
    return this.#tableExists.get(tableName(collection)) === 1;
  }

  /** Creates the collection's table (and its `seq` index) unless it exists. */
  create(collection: string): void {
    if (!this.exists(collection)) this.#db.exec(createTable(collection, indexSuffix()));
  }

  /** Forgets the statements of a collection whose table was dropped or renamed. */
  forget(collection: string): void {
    this.#statements.delete(collection);
  }

  clear(): void {
    this.#statements.clear();
  }

  /** Stores one document; the caller holds the transaction. */
  put(collection: string, doc: ReadDocument): void {
    const statements = this.#collection(collection) as CollectionStatements;
    statements.upsert ??= this.#db.prepare(upsertDocument(collection));
    statements.upsert.run(doc.id, doc.tenant, doc.seq, JSON.stringify(doc));
  }

  view(name: string, put: (doc: ReadDocument) => Promise<void>): Collection<ReadDocument> {
    return {
      get: async (id) => {
        const json = this.#read(name, undefined, (statements) => statements.get.get(id));
        return json === undefined ? null : (JSON.parse(json) as ReadDocument);
      },
      put,
      list: async (filter: Filter<ReadDocument>, page: Page) => {
        checkPage(page);
        const bound = bindFilter(conditionsOf(filter));
        if (!bound) return [];
        const query = listDocuments(name, bound, page);
        const docs = this.#read(name, [], (statements) => {
          let statement = statements.lists.get(query.shape);
          if (!statement) statements.lists.set(query.shape, (statement = this.#db.prepare<unknown[], string>(query.sql).pluck()));
          return statement.all(...bound.values, ...query.values);
        });
        return docs.map((json) => JSON.parse(json) as ReadDocument);
      },
      count: async (filter) => {
        const bound = bindFilter(conditionsOf(filter));
        if (!bound) return 0;
        return this.#read(name, 0, (statements) => {
          let statement = statements.counts.get(bound.shape);
          if (!statement) statements.counts.set(bound.shape, (statement = this.#db.prepare<unknown[], number>(countDocuments(name, bound)).pluck()));
          return statement.get(...bound.values) ?? 0;
        });
      },
    };
  }

  /**
   * Runs a read with the collection's statements; `empty` if a read-only store finds no
   * table. The owner of the file may drop or replace a table under a read-only store's
   * cached statements: then they are prepared again, once.
   */
  #read<T>(collection: string, empty: T, read: (statements: CollectionStatements) => T): T {
    const statements = this.#collection(collection);
    if (!statements) return empty;
    try {
      return read(statements);
    } catch (error) {
      if (!this.#readonly || !isNoSuchTable(error)) throw error;
      this.#statements.delete(collection);
      const again = this.#collection(collection);
      return again ? read(again) : empty;
    }
  }

  /** The collection's statements, its table created first if missing; null if a read-only store has no such table. */
  #collection(collection: string): CollectionStatements | null {
    let statements = this.#statements.get(collection);
    if (statements) return statements;
    this.#ensureOpen();
    if (!this.#readonly) this.create(collection);
    else if (!this.exists(collection)) return null;
    statements = {
      get: this.#db.prepare<[string], string>(getDocument(collection)).pluck(),
      upsert: null,
      lists: new Map(),
      counts: new Map(),
    };
    this.#statements.set(collection, statements);
    return statements;
  }
}
