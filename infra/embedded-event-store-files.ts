/**
 * Opening the embedded store's files: the lock that keeps one writer per data directory,
 * and the main thread's connection, which lays out the tables and then only reads.
 */
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { createSchema } from './embedded-event-store-schema.js';

/** Another process (a running Bosun) holds the data directory's event store. */
export class DataDirectoryInUseError extends Error {
  constructor(
    readonly file: string,
    options?: ErrorOptions,
  ) {
    super(`${file} is in use by another process: one Bosun per data directory`, options);
  }
}

/** Opens a connection to `path` and sets it up; if that fails, closes it and says whether another process holds `file`. */
const open = (path: string, timeout: number, file: string, setUp: (db: Database.Database) => void): Database.Database => {
  const db = new Database(path, { timeout });
  try {
    setUp(db);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof Database.SqliteError && error.code === 'SQLITE_BUSY') {
      throw new DataDirectoryInUseError(file, { cause: error });
    }
    throw error;
  }
};

/**
 * One writer per data directory: a second one fails here instead of racing the writer's
 * revisions and head. The guard is an exclusive lock on a side database, held until close;
 * the OS drops it when the process dies, so a crash leaves no stale lock behind.
 */
export const lockDirectory = (file: string): Database.Database =>
  open(`${file}.lock`, 0, file, (lock) => {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE; COMMIT');
  });

/** The main thread's connection: creates the schema, then only reads (WAL lets it read beside the writer). */
export const openReader = (file: string, logger: Logger): Database.Database =>
  open(file, 1000, file, (db) => {
    db.pragma('journal_mode = WAL');
    // The last connection to close checkpoints the WAL; that must be synced like every commit.
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -65536');
    createSchema(db, logger);
    db.pragma('query_only = ON');
  });
