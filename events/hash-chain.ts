/**
 * The per-stream hash chain. Every event appended through `withHashChain` carries in its
 * metadata `chain: { prev, hash }`: `hash` is the SHA-256 of the event's canonical
 * encoding (RFC 8785) as stored, with `chain.prev` in it and `chain.hash` left out;
 * `prev` is the hash of the stream's previous event, null at revision 0. Changing,
 * removing or reordering a stream's events breaks the chain at that event;
 * `bosun audit verify` (events/audit-verify.ts) recomputes it.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { WrongExpectedRevisionError, type AppendResult, type EventStore, type ExpectedRevision, type NewEvent, type RecordedEvent } from './event-store.js';

type HashedFields = Pick<RecordedEvent, 'stream' | 'revision' | 'id' | 'type' | 'tenant' | 'data' | 'metadata'>;

/** The bytes an event's hash covers: its stored fields, its position left out (the log's order is sealed, events/audit-seal.ts). */
export const canonicalEventBytes = (event: HashedFields): string => {
  const { chain, ...metadata } = event.metadata;
  return canonicalize({
    stream: event.stream,
    revision: event.revision,
    id: event.id,
    type: event.type,
    tenant: event.tenant,
    data: event.data ?? null,
    metadata: chain ? { ...metadata, chain: { prev: chain.prev } } : metadata,
  }) as string;
};

/** Hex SHA-256 of the event's canonical bytes: what `chain.hash` holds when nothing was changed. */
export const eventHash = (event: HashedFields): string => createHash('sha256').update(canonicalEventBytes(event)).digest('hex');

/** The hash the next event of the stream links to: the recorded one, or, before the chain existed, the event's own. */
const linkOf = (event: RecordedEvent): string => event.metadata.chain?.hash ?? eventHash(event);

/** Streams whose last event the decorator remembers; any other append reads it first. */
const rememberedStreams = 10_000;

/**
 * Chains every append to `store`, which must be the raw store (beneath upcasting): the
 * hash covers the bytes as stored. The hash of a stream's last event comes from the last
 * read or append of that stream (the command handler reads a stream before it appends
 * to it) or else from reading that event. Appends to one stream are chained one at a time;
 * an append expecting `any` is made to expect the revision it was chained on, so an
 * append from another process in between fails it and it is chained again.
 */
export const withHashChain = (store: EventStore): EventStore => {
  /** Last event known per stream, least recently used first. */
  const lastOf = new Map<string, RecordedEvent>();
  const remember = (event: RecordedEvent): void => {
    const known = lastOf.get(event.stream);
    if (known && known.revision > event.revision) return;
    lastOf.delete(event.stream);
    lastOf.set(event.stream, event);
    if (lastOf.size > rememberedStreams) lastOf.delete(lastOf.keys().next().value as string);
  };
  const appending = new Map<string, Promise<unknown>>();

  /** The event at `revision`, or the stream's last one for `any`; null when there is none (the store then refuses a numbered append). */
  const previous = async (stream: string, expected: ExpectedRevision): Promise<RecordedEvent | null> => {
    if (expected === 'no_stream') return null;
    const known = lastOf.get(stream);
    if (expected === 'any') {
      const tail = await store.readStream(stream, { fromRevision: known?.revision ?? 0 });
      return tail.at(-1) ?? null;
    }
    if (known?.revision === expected) return known;
    const [event] = await store.readStream(stream, { fromRevision: expected, maxCount: 1 });
    return event ?? null;
  };

  const chainAndAppend = async (stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> => {
    for (;;) {
      const last = await previous(stream, expected);
      let prev = last ? linkOf(last) : null;
      const first = last ? last.revision + 1 : 0;
      const recorded = events.map((event, index): RecordedEvent => {
        const unhashed = { ...event, stream, revision: first + index, position: 0, metadata: { ...event.metadata, chain: { prev, hash: '' } } };
        const hash = eventHash(unhashed);
        prev = hash;
        return { ...unhashed, metadata: { ...unhashed.metadata, chain: { prev: unhashed.metadata.chain.prev, hash } } };
      });
      try {
        const result = await store.append(
          stream,
          recorded.map(({ stream: _stream, revision: _revision, position: _position, ...event }) => event),
          expected === 'any' ? (last?.revision ?? 'no_stream') : expected,
        );
        const lastAppended = recorded.at(-1);
        if (lastAppended) remember({ ...lastAppended, position: result.position });
        return result;
      } catch (error) {
        lastOf.delete(stream);
        if (expected !== 'any' || !(error instanceof WrongExpectedRevisionError)) throw error;
      }
    }
  };

  return {
    append: (stream, events, expected) => {
      const before = appending.get(stream) ?? Promise.resolve();
      const appended = before.then(
        () => chainAndAppend(stream, events, expected),
        () => chainAndAppend(stream, events, expected),
      );
      const settled = appended.catch(() => undefined);
      appending.set(stream, settled);
      void settled.then(() => {
        if (appending.get(stream) === settled) appending.delete(stream);
      });
      return appended;
    },
    readStream: async (stream, options) => {
      const events = await store.readStream(stream, options);
      const last = events.at(-1);
      if (last) remember(last);
      return events;
    },
    readAll: (options) => store.readAll(options),
    headPosition: () => store.headPosition(),
    subscribe: (after, handlers) => store.subscribe(after, handlers),
    close: () => store.close(),
  };
};
