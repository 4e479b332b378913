/**
 * The writer thread of the embedded event stores. It owns their write connections, so the
 * inserts and the fsync of each group commit run beside the event loop instead of blocking it.
 * It checks expected revisions and assigns positions; a store on the main thread only queues
 * appends, sends them here a batch at a time and settles them once committed. One thread
 * serves every store of the process: starting a thread costs more than a store ever needs.
 */
import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { AppendResult, ExpectedRevision } from '../events/event-store.js';
import { fieldsPerEvent, type WriterAppend, type WriterOutcome, type WriterReply, type WriterRequest } from './embedded-event-store-protocol.js';
import { foldTailStatements, indexedHeadQuery, unindexedLimit } from './embedded-event-store-schema.js';

type Row = { position: number; stream: string; revision: number; id: string };

/** Rows per INSERT statement: one statement per typical append, well under SQLite's parameter limit. */
const rowsPerInsert = 128;
const columns = 8;
/** Streams whose last revision stays in memory; older ones are read again from the db when needed. */
const cachedStreams = 100_000;

const matches = (expected: ExpectedRevision, current: number): boolean =>
  expected === 'any' || (expected === 'no_stream' ? current === -1 : expected === current);

const isIdConflict = (error: unknown): boolean =>
  error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE' && error.message.includes('events.id');

/** The write connection of one store, with what it must know to check and place appends. */
class Writer {
  readonly #db: Database.Database;
  readonly #statements;
  readonly #inserts = new Map<number, Database.Statement>();
  /** Last committed revision of recently used streams, least recently used first; the db has the rest. */
  readonly #revisions = new Map<string, number>();
  /**
   * Last revision of every stream with events past the stream index: the db's index does not
   * know them yet, so they must not be forgotten the way `#revisions` forgets.
   */
  readonly #unindexed = new Map<string, number>();
  readonly #insertChunked: (rows: unknown[], count: number) => void;
  /** Returns whether the batch's transaction also folded the log's tail into the stream index. */
  readonly #writeBatch: (batch: readonly WriterAppend[], outcomes: WriterOutcome[], touched: Map<string, number>) => boolean;
  #head: number;
  /** The stream index holds every event up to this position. */
  #indexed: number;

  constructor(file: string) {
    // A full fsync per commit: a batch is reported committed only once it is on disk.
    this.#db = new Database(file, { timeout: 5000 });
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('cache_size = -65536');
    this.#statements = {
      head: this.#db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck(),
      indexed: this.#db.prepare<[], number>(indexedHeadQuery).pluck(),
      revision: this.#db.prepare<[string], number | null>('SELECT MAX(revision) FROM stream_index WHERE stream = ?').pluck(),
      unindexed: this.#db.prepare<[number], { stream: string; revision: number }>(
        'SELECT stream, MAX(revision) AS revision FROM events WHERE position > ? GROUP BY stream',
      ),
      byId: this.#db.prepare<[string], Row>('SELECT position, stream, revision, id FROM events WHERE id = ?'),
      // The events of one append have consecutive positions.
      following: this.#db.prepare<[number, number], Row>('SELECT position, stream, revision, id FROM events WHERE position >= ? ORDER BY position LIMIT ?'),
      fold: this.#db.prepare<[number, number]>(foldTailStatements[0]),
      setIndexed: this.#db.prepare<[number]>(foldTailStatements[1]),
    };
    this.#head = this.#statements.head.get() ?? 0;
    this.#indexed = this.#statements.indexed.get() ?? 0;
    // After a crash, the tail past the index is read from the log again.
    for (const { stream, revision } of this.#statements.unindexed.all(this.#indexed)) this.#unindexed.set(stream, revision);
    // Appends larger than one INSERT run in a nested transaction (a savepoint), so they stay all-or-nothing.
    this.#insertChunked = this.#db.transaction((rows: unknown[], count: number) => {
      for (let from = 0; from < count; from += rowsPerInsert) {
        const size = Math.min(rowsPerInsert, count - from);
        this.#insert(size).run(rows.slice(from * columns, (from + size) * columns));
      }
    });
    this.#writeBatch = this.#db.transaction((batch: readonly WriterAppend[], outcomes: WriterOutcome[], touched: Map<string, number>) => {
      for (const append of batch) outcomes.push(this.#apply(append, touched));
      if (this.#head - this.#indexed < unindexedLimit) return false;
      this.#statements.fold.run(this.#indexed, this.#head);
      this.#statements.setIndexed.run(this.#head);
      return true;
    });
  }

  /** Writes a batch in one transaction; returns only once its COMMIT (and fsync) did. */
  write(store: number, batch: readonly WriterAppend[]): WriterReply {
    const outcomes: WriterOutcome[] = [];
    const touched = new Map<string, number>();
    const before = this.#head;
    let folded: boolean;
    try {
      folded = this.#writeBatch(batch, outcomes, touched);
    } catch (error) {
      this.#head = before;
      return { store, head: before, failed: error instanceof Error ? error.message : String(error) };
    }
    if (folded) {
      this.#indexed = this.#head;
      this.#unindexed.clear();
    }
    for (const [stream, revision] of touched) {
      this.#remember(stream, revision);
      if (!folded) this.#unindexed.set(stream, revision);
    }
    return { store, head: this.#head, indexed: this.#indexed, outcomes };
  }

  close(): void {
    this.#db.close();
  }

  #insert(count: number): Database.Statement {
    let statement = this.#inserts.get(count);
    if (!statement) {
      const values = Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      statement = this.#db.prepare(`INSERT INTO events (position, stream, revision, id, type, tenant, data, metadata) VALUES ${values}`);
      this.#inserts.set(count, statement);
    }
    return statement;
  }

  #remember(stream: string, revision: number): void {
    this.#revisions.delete(stream);
    this.#revisions.set(stream, revision);
    if (this.#revisions.size > cachedStreams) this.#revisions.delete(this.#revisions.keys().next().value as string);
  }

  #revisionOf(stream: string): number {
    const revision = this.#revisions.get(stream) ?? this.#unindexed.get(stream) ?? this.#statements.revision.get(stream) ?? -1;
    this.#remember(stream, revision);
    return revision;
  }

  /**
   * Idempotent retry: when the same event ids are already stored, in order, in this stream and
   * where `expected` would have put them, the append succeeds again with the original result.
   * Anything else (ids elsewhere, partial overlap) is not a retry and is refused.
   */
  #original({ stream, fields, expected }: WriterAppend): AppendResult | null {
    const count = fields.length / fieldsPerEvent;
    const first = this.#statements.byId.get(fields[0] as string);
    if (!first || first.stream !== stream) return null;
    if (expected !== 'any' && first.revision !== (expected === 'no_stream' ? 0 : expected + 1)) return null;
    const stored = this.#statements.following.all(first.position, count);
    if (stored.length !== count || stored.some((row, index) => row.stream !== stream || row.id !== fields[index * fieldsPerEvent])) return null;
    const last = stored[stored.length - 1] as Row;
    return { revision: last.revision, position: last.position };
  }

  /** One append inside the batch transaction; `touched` holds this batch's uncommitted stream revisions. */
  #apply(append: WriterAppend, touched: Map<string, number>): WriterOutcome {
    const { stream, expected, fields } = append;
    const count = fields.length / fieldsPerEvent;
    const current = touched.get(stream) ?? this.#revisionOf(stream);
    if (!matches(expected, current)) return this.#original(append) ?? { actual: current };
    const rows: unknown[] = new Array(count * columns);
    for (let index = 0; index < count; index++) {
      const at = index * columns;
      const from = index * fieldsPerEvent;
      rows[at] = this.#head + 1 + index;
      rows[at + 1] = stream;
      rows[at + 2] = current + 1 + index;
      rows[at + 3] = fields[from];
      rows[at + 4] = fields[from + 1];
      rows[at + 5] = fields[from + 2];
      rows[at + 6] = fields[from + 3];
      rows[at + 7] = fields[from + 4];
    }
    try {
      if (count <= rowsPerInsert) this.#insert(count).run(rows);
      else this.#insertChunked(rows, count);
    } catch (error) {
      // A failed statement leaves the transaction open; only an id conflict is this append's own fault.
      if (!isIdConflict(error)) throw error;
      return this.#original(append) ?? { duplicate: true };
    }
    this.#head += count;
    touched.set(stream, current + count);
    return { revision: current + count, position: this.#head };
  }
}

const port = parentPort;
if (!port) throw new Error('embedded-event-store-writer runs as a worker thread');
const writers = new Map<number, Writer>();

port.on('message', (request: WriterRequest) => {
  const { store } = request;
  if (request.type === 'open') {
    try {
      writers.set(store, new Writer(request.file));
    } catch (error) {
      port.postMessage({ store, broken: error instanceof Error ? error.message : String(error) } satisfies WriterReply);
    }
    return;
  }
  const writer = writers.get(store);
  if (!writer) {
    // Its open failed and was reported; answer anyway, the store awaits every request.
    if (request.type === 'close') port.postMessage({ store, closed: true } satisfies WriterReply);
    else port.postMessage({ store, head: 0, failed: 'the write connection of this store did not open' } satisfies WriterReply);
    return;
  }
  if (request.type === 'close') {
    writers.delete(store);
    writer.close();
    port.postMessage({ store, closed: true } satisfies WriterReply);
    return;
  }
  port.postMessage(writer.write(store, request.batch));
});
