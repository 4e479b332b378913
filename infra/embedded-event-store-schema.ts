/**
 * The embedded store's tables. `events` is the log: the only table a commit must write,
 * so a group commit dirties the pages of the log's end and of the id index, whatever the
 * streams. `stream_index` (stream, revision -> position) is derived from the log, as
 * KurrentDB's index is from its chunks: the writer folds the log's tail into it once the
 * tail is `unindexedLimit` events long, inside a batch's transaction, and
 * `stream_index_head` says how far it reaches. After a crash the tail past it is simply
 * read again from the log. Per-commit index pages were measured as half of a 16-append
 * commit's cost with 64 streams appended in turn.
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

/** Log events past the stream index at which the writer folds them into it. */
export const unindexedLimit = 2048;

const schema = `
  CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream   TEXT    NOT NULL,
    revision INTEGER NOT NULL,
    id       TEXT    NOT NULL,
    type     TEXT    NOT NULL,
    tenant   TEXT    NOT NULL,
    data     TEXT    NOT NULL,
    metadata TEXT    NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id);
  CREATE TABLE IF NOT EXISTS stream_index (
    stream   TEXT    NOT NULL,
    revision INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (stream, revision)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS stream_index_head (position INTEGER NOT NULL);
  INSERT INTO stream_index_head (position) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM stream_index_head);
`;

/** Statements both sides use: where the index ends, and folding the events after a position, up to another, into it. */
export const indexedHeadQuery = 'SELECT position FROM stream_index_head';
export const foldTailStatements = [
  'INSERT INTO stream_index (stream, revision, position) SELECT stream, revision, position FROM events WHERE position > ? AND position <= ?',
  'UPDATE stream_index_head SET position = ?',
] as const;
/** Events indexed between two progress lines when a whole log is indexed at once. */
const buildChunk = 200_000;

/**
 * Creates the tables, or brings a store of the first layout (a unique index on
 * `events (stream, revision)`, written by every commit) to this one, in one transaction.
 */
export const createSchema = (db: Database.Database, logger: Logger): void => {
  db.transaction(() => {
    const firstLayout = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_stream_revision'").get() !== undefined;
    db.exec(schema);
    if (!firstLayout) return;
    const head = db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck().get() ?? 0;
    logger.info({ events: head }, 'event store: building the stream index from the log (once, for a store of the first layout)');
    const [fold, setHead] = foldTailStatements.map((sql) => db.prepare(sql)) as [Database.Statement, Database.Statement];
    for (let indexed = 0; indexed < head; indexed += buildChunk) {
      fold.run(indexed, Math.min(head, indexed + buildChunk));
      logger.info({ indexed: Math.min(head, indexed + buildChunk), events: head }, 'event store: building the stream index');
    }
    setHead.run(head);
    db.exec('DROP INDEX events_stream_revision');
    logger.info({ events: head }, 'event store: stream index built');
  })();
};

/**
 * Where the events past the stream index are, by stream and in order: what a stream read
 * adds to the index's answer. Fed by every commit, emptied up to each fold.
 */
export class UnindexedTail {
  readonly #positions = new Map<string, number[]>();

  add(stream: string, first: number, count: number): void {
    let positions = this.#positions.get(stream);
    if (!positions) this.#positions.set(stream, (positions = []));
    for (let i = 0; i < count; i++) positions.push(first + i);
  }

  /** Forgets the events the stream index now holds: those at `indexed` and before. */
  indexedThrough(indexed: number): void {
    for (const [stream, positions] of this.#positions) {
      const kept = positions.findIndex((position) => position > indexed);
      if (kept === -1) this.#positions.delete(stream);
      else if (kept > 0) positions.splice(0, kept);
    }
  }

  of(stream: string): readonly number[] {
    return this.#positions.get(stream) ?? [];
  }
}
