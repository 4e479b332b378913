/**
 * The default event store: one SQLite file in the data directory, written by this process
 * only. Concurrent appends share one transaction and one fsync (group commit).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type Subscription,
  type SubscriptionHandlers,
} from '../commands/event-store.js';

export type EmbeddedEventStoreOptions = {
  /** Data directory, created if missing; the log is `events.sqlite` in it. */
  readonly directory: string;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
};

/** An event id that is already stored, but not as the same events at the same place. */
export class DuplicateEventIdError extends Error {
  readonly code = 'duplicate_event_id';
  constructor(readonly stream: string) {
    super(`stream ${stream}: an event id of this append is already stored elsewhere`);
  }
}

type Row = { position: number; stream: string; revision: number; id: string; type: string; tenant: string; data: string; metadata: string };
type Pending = {
  readonly stream: string;
  readonly events: readonly NewEvent[];
  readonly expected: ExpectedRevision;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: Error) => void;
};
type Outcome = AppendResult | Error;

const columns = 8;
/** Rows per INSERT statement: one statement per typical append, well under SQLite's parameter limit. */
const rowsPerInsert = 128;
const subscriptionPage = 500;
/** Streams whose last revision stays in memory; older ones are read again from the db when needed. */
const cachedStreams = 100_000;

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
  CREATE UNIQUE INDEX IF NOT EXISTS events_stream_revision ON events (stream, revision);
  CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id);
`;

const toRecorded = (row: Row): RecordedEvent => ({
  id: row.id,
  type: row.type,
  tenant: row.tenant,
  data: JSON.parse(row.data) as unknown,
  metadata: JSON.parse(row.metadata) as EventMetadata,
  stream: row.stream,
  revision: row.revision,
  position: row.position,
});

const matches = (expected: ExpectedRevision, current: number): boolean =>
  expected === 'any' || (expected === 'no_stream' ? current === -1 : expected === current);

const isIdConflict = (error: unknown): boolean =>
  error instanceof Database.SqliteError && error.code === 'SQLITE_CONSTRAINT_UNIQUE' && error.message.includes('events.id');

/** WAL with a full fsync per commit: a returned COMMIT is on disk, a torn one is ignored on reopen. */
const openDatabase = (file: string): Database.Database => {
  const db = new Database(file, { timeout: 1000 });
  try {
    // One writer process: a second one fails here instead of racing the in-memory revisions and head.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('cache_size = -65536');
    db.exec(schema);
    return db;
  } catch (error) {
    db.close();
    if (error instanceof Database.SqliteError && error.code === 'SQLITE_BUSY') {
      throw new Error(`${file} is in use by another process: one Bosun per data directory`, { cause: error });
    }
    throw error;
  }
};

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export class EmbeddedEventStore implements EventStore {
  readonly #db: Database.Database;
  readonly #logger: Logger;
  /** Last committed revision of recently used streams, least recently used first; the db has the rest. */
  readonly #revisions = new Map<string, number>();
  readonly #inserts = new Map<number, Database.Statement>();
  readonly #statements;
  readonly #writeBatch: (batch: readonly Pending[], outcomes: Outcome[], touched: Map<string, number>) => void;
  #head: number;
  #queue: Pending[] = [];
  #scheduled: NodeJS.Immediate | null = null;
  #closed = false;
  /** Resolvers of subscriptions waiting for the next commit. */
  readonly #waiters = new Set<() => void>();
  readonly #subscriptions = new Set<Subscription>();

  constructor(file: string, logger: Logger) {
    this.#logger = logger;
    this.#db = openDatabase(file);
    this.#statements = {
      head: this.#db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck(),
      revision: this.#db.prepare<[string], number | null>('SELECT MAX(revision) FROM events WHERE stream = ?').pluck(),
      byId: this.#db.prepare<[string], { stream: string; revision: number }>('SELECT stream, revision FROM events WHERE id = ?'),
      stream: this.#db.prepare<[string, number, number], Row>('SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?'),
      all: this.#db.prepare<[number, number], Row>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
    };
    this.#head = this.#statements.head.get() ?? 0;
    // Appends larger than one INSERT run in a nested transaction (a savepoint), so they stay all-or-nothing.
    const insertChunked = this.#db.transaction((rows: unknown[], count: number) => this.#insertChunks(rows, count));
    this.#writeBatch = this.#db.transaction((batch: readonly Pending[], outcomes: Outcome[], touched: Map<string, number>) => {
      for (const pending of batch) outcomes.push(this.#apply(pending, touched, insertChunked));
    });
    logger.debug({ file, head: this.#head }, 'embedded event store opened');
  }

  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    if (events.length === 0) return Promise.reject(new Error(`stream ${stream}: an append needs at least one event`));
    return new Promise((resolve, reject) => {
      this.#queue.push({ stream, events, expected, resolve, reject });
      this.#scheduled ??= setImmediate(this.#flush);
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.#statements.stream.all(stream, Math.max(0, options.fromRevision ?? 0), options.maxCount ?? -1).map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.#readAll(options.after ?? 0, options.maxCount ?? 1000);
  }

  async headPosition(): Promise<number> {
    return this.#head;
  }

  subscribe(after: number, handlers: SubscriptionHandlers): Subscription {
    let stopped = false;
    let wake: (() => void) | null = null;
    const deliver = async () => {
      let checkpoint = after;
      while (!stopped) {
        const page = this.#readAll(checkpoint, subscriptionPage);
        if (page.length === 0) {
          handlers.onCaughtUp?.(checkpoint);
          // Commits run in their own macrotask, so none can slip in between the read and this wait.
          if (!stopped && this.#head <= checkpoint) await new Promise<void>((resolve) => this.#waiters.add((wake = resolve)));
          continue;
        }
        for (const event of page) {
          if (stopped) return;
          await handlers.onEvent(event);
          checkpoint = event.position;
        }
      }
    };
    // Deferred so that no handler runs before `subscribe` has returned.
    const running = Promise.resolve()
      .then(deliver)
      .catch((error: unknown) => {
        if (stopped) return;
        stopped = true;
        this.#logger.error({ err: error }, 'event store subscription stopped');
        handlers.onError?.(asError(error));
      });
    const subscription: Subscription = {
      close: async () => {
        stopped = true;
        if (wake) {
          this.#waiters.delete(wake);
          wake();
        }
        await running;
        this.#subscriptions.delete(subscription);
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#flush();
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    this.#db.close();
  }

  #readAll(after: number, maxCount: number): RecordedEvent[] {
    return this.#statements.all.all(after, maxCount).map(toRecorded);
  }

  /** Writes every queued append in one transaction, then settles them: nothing is acknowledged before COMMIT. */
  readonly #flush = (): void => {
    this.#scheduled = null;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    const outcomes: Outcome[] = [];
    const touched = new Map<string, number>();
    const head = this.#head;
    try {
      this.#writeBatch(batch, outcomes, touched);
    } catch (error) {
      this.#head = head;
      this.#logger.error({ err: error, appends: batch.length }, 'event store batch rolled back');
      for (const pending of batch) pending.reject(asError(error));
      return;
    }
    for (const [stream, revision] of touched) this.#remember(stream, revision);
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome instanceof Error) pending.reject(outcome);
      else if (outcome) pending.resolve(outcome);
    });
    if (this.#head > head) {
      for (const wake of this.#waiters) wake();
      this.#waiters.clear();
    }
  };

  /** One append inside the batch transaction; `touched` holds this batch's uncommitted stream revisions. */
  #apply(pending: Pending, touched: Map<string, number>, insertChunked: (rows: unknown[], count: number) => void): Outcome {
    const { stream, events, expected } = pending;
    const current = touched.get(stream) ?? this.#revisionOf(stream);
    if (!matches(expected, current)) return this.#original(pending) ?? new WrongExpectedRevisionError(stream, expected, current);
    const rows: unknown[] = new Array(events.length * columns);
    events.forEach((event, index) => {
      const at = index * columns;
      rows[at] = this.#head + 1 + index;
      rows[at + 1] = stream;
      rows[at + 2] = current + 1 + index;
      rows[at + 3] = event.id;
      rows[at + 4] = event.type;
      rows[at + 5] = event.tenant;
      rows[at + 6] = JSON.stringify(event.data ?? null);
      rows[at + 7] = JSON.stringify(event.metadata);
    });
    try {
      if (events.length <= rowsPerInsert) this.#insert(events.length).run(rows);
      else insertChunked(rows, events.length);
    } catch (error) {
      // A failed statement leaves the transaction open; only an id conflict is this append's own fault.
      if (!isIdConflict(error)) throw error;
      return this.#original(pending) ?? new DuplicateEventIdError(stream);
    }
    this.#head += events.length;
    touched.set(stream, current + events.length);
    return { revision: current + events.length, position: this.#head };
  }

  #insertChunks(rows: unknown[], count: number): void {
    for (let from = 0; from < count; from += rowsPerInsert) {
      const size = Math.min(rowsPerInsert, count - from);
      this.#insert(size).run(rows.slice(from * columns, (from + size) * columns));
    }
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

  #revisionOf(stream: string): number {
    const revision = this.#revisions.get(stream) ?? this.#statements.revision.get(stream) ?? -1;
    this.#remember(stream, revision);
    return revision;
  }

  #remember(stream: string, revision: number): void {
    this.#revisions.delete(stream);
    this.#revisions.set(stream, revision);
    if (this.#revisions.size > cachedStreams) this.#revisions.delete(this.#revisions.keys().next().value as string);
  }

  /**
   * Idempotent retry: when the same event ids are already stored, in order, in this stream and
   * where `expected` would have put them, the append succeeds again with the original result.
   * Anything else (ids elsewhere, partial overlap) is not a retry and is refused.
   */
  #original({ stream, events, expected }: Pending): AppendResult | null {
    const first = events[0] && this.#statements.byId.get(events[0].id);
    if (!first || first.stream !== stream) return null;
    if (expected !== 'any' && first.revision !== (expected === 'no_stream' ? 0 : expected + 1)) return null;
    const stored = this.#statements.stream.all(stream, first.revision, events.length);
    if (stored.length !== events.length || stored.some((row, index) => row.id !== events[index]?.id)) return null;
    const last = stored[stored.length - 1] as Row;
    return { revision: last.revision, position: last.position };
  }
}

/** Opens (or creates) the store in `directory`; the caller closes it. */
export const openEmbeddedEventStore = ({ directory, logger }: EmbeddedEventStoreOptions): EmbeddedEventStore => {
  mkdirSync(directory, { recursive: true });
  return new EmbeddedEventStore(join(directory, 'events.sqlite'), logger ?? pino({ enabled: false }));
};
