/**
 * A read-only view of the embedded store's log, for tools that read beside a running Bosun
 * (`bosun replay`): it takes no lock and starts no writer. SQLite's WAL lets it read while
 * the writer commits; each read sees the log as committed when it began.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore, ReadAllOptions, ReadStreamOptions } from '../events/event-store.js';
import { indexedHeadQuery } from './embedded-event-store-schema.js';
import { toRecorded, type EventRow } from './embedded-event-store.js';

/** What a reader of the log asks of it: no appends, no subscriptions. */
export type EventLog = Pick<EventStore, 'readAll' | 'readStream' | 'headPosition' | 'close'>;

export class NoEventLogError extends Error {
  constructor(readonly directory: string) {
    super(`no event store in ${directory} (no events.sqlite): set BOSUN_DATA_DIR to the directory Bosun serves`);
  }
}

/** Opens the log of the data directory `directory` read-only; it must exist. */
export const openEmbeddedEventLog = (directory: string): EventLog => {
  const file = join(directory, 'events.sqlite');
  if (!existsSync(file)) throw new NoEventLogError(directory);
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 1000 });
  const statements = {
    head: db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck(),
    all: db.prepare<[number, number], EventRow>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
    // The stream index up to its head, then the log's tail past it (at most a few thousand events, read by position).
    stream: db.prepare<[string, number, string, number, number], EventRow>(
      `SELECT * FROM (
         SELECT e.* FROM stream_index s JOIN events e ON e.position = s.position
           WHERE s.stream = ? AND s.revision >= ? AND s.position <= (${indexedHeadQuery})
         UNION ALL
         SELECT * FROM events WHERE stream = ? AND revision >= ? AND position > (${indexedHeadQuery})
       ) ORDER BY revision LIMIT ?`,
    ),
  };
  return {
    readAll: async (options: ReadAllOptions = {}) => statements.all.all(options.after ?? 0, options.maxCount ?? 1000).map(toRecorded),
    readStream: async (stream: string, options: ReadStreamOptions = {}) => {
      const from = Math.max(0, options.fromRevision ?? 0);
      return statements.stream.all(stream, from, stream, from, options.maxCount ?? -1).map(toRecorded);
    },
    headPosition: async () => statements.head.get() ?? 0,
    close: async () => {
      db.close();
    },
  };
};
