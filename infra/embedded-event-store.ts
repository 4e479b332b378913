/**
 * The default event store: one SQLite file in the data directory, written by this process
 * only, from a worker thread (embedded-event-store-writer.ts). Concurrent appends share one
 * transaction and one fsync (group commit); reads use a connection of their own here.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
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
} from '../events/event-store.js';
import { lockDirectory, openReader } from './embedded-event-store-files.js';
import { fieldsPerEvent, type WriterAppend, type WriterOutcome, type WriterReply } from './embedded-event-store-protocol.js';
import { indexedHeadQuery, UnindexedTail } from './embedded-event-store-schema.js';
import { sharedWriterThread, type WriterThread } from './embedded-event-store-writer-thread.js';

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

/** A row of the `events` table. */
export type EventRow = { position: number; stream: string; revision: number; id: string; type: string; tenant: string; data: string; metadata: string };
type Pending = {
  readonly append: WriterAppend;
  /** The events as appended, kept so subscribers at the head need not parse them back. */
  readonly events: readonly NewEvent[];
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: Error) => void;
};

/** Batches the writer may hold at once: one committing, the others queued right behind it. */
const maxBatchesInFlight = 3;
/**
 * Appends per batch. Smaller batches than "everything queued" let the first requests of a
 * burst be answered while the rest commit, so clients do not move in one convoy: measured
 * +20% submits/s at 64 connections over one batch per burst. With 64 writers, 32 (two
 * batches, one committing while the other fills) did 22-25k single appends/s where 16 did
 * 17-19k and 64 did 16-18k; submits/s were the same with 16 and 32.
 */
const maxBatchAppends = 32;
const subscriptionPage = 500;
/** Recently committed events kept in memory, so subscribers following the head do not read them back. */
const recentEvents = 4096;

/** A committed event as it was appended; its data and metadata are shared, never mutated. */
type Recent = { readonly position: number; readonly stream: string; readonly revision: number; readonly event: NewEvent };

const fromRecent = ({ position, stream, revision, event }: Recent): RecordedEvent => ({
  id: event.id,
  type: event.type,
  tenant: event.tenant,
  data: event.data ?? null,
  metadata: event.metadata,
  stream,
  revision,
  position,
});

export const toRecorded = (row: EventRow): RecordedEvent => ({
  id: row.id,
  type: row.type,
  tenant: row.tenant,
  data: JSON.parse(row.data) as unknown,
  metadata: JSON.parse(row.metadata) as EventMetadata,
  stream: row.stream,
  revision: row.revision,
  position: row.position,
});

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export class EmbeddedEventStore implements EventStore {
  readonly #lock: Database.Database;
  readonly #db: Database.Database;
  readonly #writer: WriterThread;
  readonly #id: number;
  readonly #logger: Logger;
  readonly #statements;
  #head: number;
  /** The stream index holds every event up to here; `#tail` has where the later ones are. */
  #indexed: number;
  readonly #tail = new UnindexedTail();
  /** The last committed events, contiguous up to the head (or empty). */
  #recent: Recent[] = [];
  #queue: Pending[] = [];
  /**
   * Batches sent to the writer and not yet answered, oldest first. The writer commits them in
   * order; a second one may be sent while the first commits, so appends arriving meanwhile do
   * not wait for its answer to travel back first.
   */
  #inFlight: Pending[][] = [];
  #scheduled: NodeJS.Immediate | null = null;
  #closed = false;
  /** Set when the writer cannot serve this store any more: every later append fails with it. */
  #broken: Error | null = null;
  /** Resolvers of close() waiting for the queue to drain, then for the writer's connection to close. */
  #drained: (() => void)[] = [];
  #writerClosed: (() => void) | null = null;
  /** Resolvers of subscriptions waiting for the next commit. */
  readonly #waiters = new Set<() => void>();
  readonly #subscriptions = new Set<Subscription>();

  constructor(file: string, logger: Logger) {
    this.#logger = logger;
    this.#lock = lockDirectory(file);
    try {
      this.#db = openReader(file, logger);
    } catch (error) {
      this.#lock.close();
      throw error;
    }
    this.#statements = {
      head: this.#db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck(),
      indexed: this.#db.prepare<[], number>(indexedHeadQuery).pluck(),
      // Bounded by the index's head as this thread knows it; the tail supplies the rest.
      stream: this.#db.prepare<[string, number, number, number], EventRow>(
        'SELECT e.* FROM stream_index s JOIN events e ON e.position = s.position WHERE s.stream = ? AND s.revision >= ? AND s.position <= ? ORDER BY s.revision LIMIT ?',
      ),
      unindexed: this.#db.prepare<[number], { position: number; stream: string }>('SELECT position, stream FROM events WHERE position > ? ORDER BY position'),
      at: this.#db.prepare<[number], EventRow>('SELECT * FROM events WHERE position = ?'),
      all: this.#db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
    };
    this.#head = this.#statements.head.get() ?? 0;
    this.#indexed = this.#statements.indexed.get() ?? 0;
    for (const { position, stream } of this.#statements.unindexed.iterate(this.#indexed)) this.#tail.add(stream, position, 1);
    this.#writer = sharedWriterThread();
    this.#id = this.#writer.register({ onReply: this.#onReply, onLost: (error) => this.#fail(error) });
    // Not awaited: requests are handled in order, so appends sent later find the connection open.
    this.#writer.postOpen(this.#id, file);
    logger.debug({ file, head: this.#head }, 'embedded event store opened');
  }

  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new Error('event store is closed'));
    if (this.#broken) return Promise.reject(this.#broken);
    if (events.length === 0) return Promise.reject(new Error(`stream ${stream}: an append needs at least one event`));
    const fields: string[] = new Array(events.length * fieldsPerEvent);
    events.forEach((event, index) => {
      const at = index * fieldsPerEvent;
      fields[at] = event.id;
      fields[at + 1] = event.type;
      fields[at + 2] = event.tenant;
      fields[at + 3] = JSON.stringify(event.data ?? null);
      fields[at + 4] = JSON.stringify(event.metadata);
    });
    return new Promise((resolve, reject) => {
      this.#queue.push({ append: { stream, expected, fields }, events, resolve, reject });
      // While a batch commits the queue just grows; its settlement sends the next batch.
      if (this.#inFlight.length < maxBatchesInFlight) this.#scheduled ??= setImmediate(this.#send);
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const fromRevision = Math.max(0, options.fromRevision ?? 0);
    const maxCount = options.maxCount ?? -1;
    const events = this.#statements.stream.all(stream, fromRevision, this.#indexed, maxCount).map(toRecorded);
    const tail = this.#tail.of(stream);
    const full = () => maxCount >= 0 && events.length >= maxCount;
    if (tail.length === 0 || full()) return events;
    // The tail holds every event of the stream past the index, so its revisions are consecutive.
    const tailRevision = this.#eventAt(tail[0] as number).revision;
    for (let i = Math.max(0, fromRevision - tailRevision); i < tail.length && !full(); i++) events.push(this.#eventAt(tail[i] as number));
    return events;
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
          // The head moves only in the commit message's macrotask, so none can slip in between the read and this wait.
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
    if (this.#scheduled) {
      clearImmediate(this.#scheduled);
      this.#send();
    }
    // Every append accepted before close is committed (or refused) before the writer lets go.
    if (this.#inFlight.length > 0) await new Promise<void>((resolve) => this.#drained.push(resolve));
    if (!this.#writer.lost) {
      await new Promise<void>((resolve) => {
        this.#writerClosed = resolve;
        this.#writer.request({ type: 'close', store: this.#id });
      });
    }
    this.#writer.unregister(this.#id);
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    this.#db.close();
    this.#lock.close();
  }

  #eventAt(position: number): RecordedEvent {
    const first = this.#recent[0]?.position;
    const recent = first === undefined ? undefined : this.#recent[position - first];
    if (recent) return fromRecent(recent);
    const row = this.#statements.at.get(position);
    if (!row) throw new Error(`event store: position ${position} is past the stream index but not in the log`);
    return toRecorded(row);
  }

  #readAll(after: number, maxCount: number): RecordedEvent[] {
    const first = this.#recent[0]?.position;
    if (first === undefined || after + 1 < first) return this.#statements.all.all(after, maxCount).map(toRecorded);
    const from = after + 1 - first;
    return this.#recent.slice(from, maxCount < 0 ? undefined : from + maxCount).map(fromRecent);
  }

  /**
   * Keeps the new events of a committed batch in memory and their places in the tail past the
   * stream index; `next` is the first position the batch could take.
   */
  #keepRecent(batch: readonly Pending[], outcomes: readonly WriterOutcome[], next: number, head: number): void {
    for (const [index, outcome] of outcomes.entries()) {
      const pending = batch[index];
      if (!pending || !('position' in outcome)) continue;
      const append = pending.append;
      const count = append.fields.length / fieldsPerEvent;
      // An idempotent retry answers with events stored earlier: nothing new.
      if (outcome.position - count + 1 !== next) continue;
      this.#tail.add(append.stream, next, count);
      for (let i = 0; i < count; i++) {
        this.#recent.push({ position: next + i, stream: append.stream, revision: outcome.revision - count + 1 + i, event: pending.events[i] as NewEvent });
      }
      next += count;
    }
    // The tail must be exactly positions first..head; if not, forget it and read the db.
    if (next !== head + 1 || (this.#recent[0] && this.#recent[0].position + this.#recent.length !== next)) this.#recent = [];
    else if (this.#recent.length > 2 * recentEvents) this.#recent = this.#recent.slice(-recentEvents);
  }

  /** Hands every queued append to the writer as one batch (one transaction, one fsync). */
  readonly #send = (): void => {
    this.#scheduled = null;
    while (this.#inFlight.length < maxBatchesInFlight && this.#queue.length > 0 && !this.#broken) {
      const batch = this.#queue.splice(0, maxBatchAppends);
      this.#inFlight.push(batch);
      this.#writer.request({ type: 'append', store: this.#id, batch: batch.map((pending) => pending.append) });
    }
  };

  readonly #onReply = (reply: WriterReply): void => {
    if ('broken' in reply) return this.#fail(new Error(reply.broken));
    this.#writer.answered();
    if ('closed' in reply) {
      this.#writerClosed?.();
      return;
    }
    this.#committed(reply);
  };

  /** The writer finished a batch: nothing is acknowledged before its COMMIT returned. */
  #committed(reply: Exclude<WriterReply, { broken: string } | { closed: true }>): void {
    const batch = this.#inFlight.shift() ?? [];
    const head = this.#head;
    this.#head = Math.max(head, reply.head);
    if ('failed' in reply) {
      this.#logger.error({ err: reply.failed, appends: batch.length }, 'event store batch rolled back');
      for (const pending of batch) pending.reject(new Error(reply.failed));
    } else {
      this.#keepRecent(batch, reply.outcomes, head + 1, this.#head);
      if (reply.indexed > this.#indexed) {
        this.#indexed = reply.indexed;
        this.#tail.indexedThrough(reply.indexed);
      }
      batch.forEach((pending, index) => {
        const outcome = reply.outcomes[index];
        const { stream, expected } = pending.append;
        if (!outcome) pending.reject(new Error(`stream ${stream}: the writer gave no outcome`));
        else if ('actual' in outcome) pending.reject(new WrongExpectedRevisionError(stream, expected, outcome.actual));
        else if ('duplicate' in outcome) pending.reject(new DuplicateEventIdError(stream));
        else pending.resolve(outcome);
      });
    }
    if (this.#head > head) {
      for (const wake of this.#waiters) wake();
      this.#waiters.clear();
    }
    // What gathered while this batch was committing goes at once: that is the group commit.
    if (this.#queue.length > 0) this.#send();
    else if (this.#inFlight.length === 0) for (const drained of this.#drained.splice(0)) drained();
  }

  /**
   * The writer cannot serve this store: queued appends fail, and so does every later one. A batch
   * in flight still gets its answer, unless the thread itself is gone.
   */
  #fail(error: Error): void {
    if (this.#broken) return;
    this.#broken = error;
    this.#logger.error({ err: error }, 'event store writer failed');
    const unsettled = this.#writer.lost ? [...this.#inFlight.flat(), ...this.#queue] : this.#queue;
    if (this.#writer.lost) this.#inFlight = [];
    this.#queue = [];
    for (const pending of unsettled) pending.reject(error);
    if (this.#inFlight.length === 0) for (const drained of this.#drained.splice(0)) drained();
    if (this.#writer.lost) this.#writerClosed?.();
  }
}

/** Opens (or creates) the store in `directory`; the caller closes it. */
export const openEmbeddedEventStore = ({ directory, logger }: EmbeddedEventStoreOptions): EmbeddedEventStore => {
  mkdirSync(directory, { recursive: true });
  return new EmbeddedEventStore(join(directory, 'events.sqlite'), logger ?? pino({ enabled: false }));
};
