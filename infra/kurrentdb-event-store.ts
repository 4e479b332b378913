/**
 * The scale-out event store: KurrentDB (EventStoreDB) through its official client.
 * Tenant and our metadata travel in each event's JSON metadata; positions are commit positions.
 */
import {
  BACKWARDS,
  END,
  excludeSystemEvents,
  jsonEvent,
  KurrentDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type JSONType,
  type Position,
  type StreamState,
} from '@kurrent/kurrentdb-client';
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

export type KurrentDbEventStoreOptions = {
  /** For example `kurrentdb://localhost:2113?tls=false`. */
  readonly connectionString: string;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
};

/** What KurrentDB stores as metadata: ours, the tenant, and the ids its own projections read. */
type StoredMetadata = EventMetadata & { readonly tenant: string; readonly $correlationId?: string; readonly $causationId?: string };

/** The fields we read from the client's recorded events, JSON or binary, from a stream or from $all. */
type KurrentEvent = { streamId: string; id: string; revision: bigint; type: string; data: unknown; metadata: unknown; position?: Position };

const toStreamState = (expected: ExpectedRevision): StreamState => (expected === 'any' || expected === 'no_stream' ? expected : BigInt(expected));

/**
 * Each event has its own commit position (equal to its prepare position) on KurrentDB 20+,
 * so one number identifies it and `{ commit, prepare }` can be rebuilt from it.
 */
const at = (position: number): Position => ({ commit: BigInt(position), prepare: BigInt(position) });

const toPosition = (position: Position | undefined, event: string): number => {
  // Older servers answer stream reads with no position, or with 2^64-1.
  if (!position || position.commit > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Error(`KurrentDB gave no log position for ${event}; KurrentDB 22.6 or later is required`);
  }
  return Number(position.commit);
};

const toEventData = (event: NewEvent) => {
  const metadata: StoredMetadata = {
    ...event.metadata,
    tenant: event.tenant,
    $correlationId: event.metadata.correlation_id,
    ...(event.metadata.causation_id ? { $causationId: event.metadata.causation_id } : {}),
  };
  return jsonEvent({ id: event.id, type: event.type, data: (event.data ?? null) as JSONType, metadata });
};

const toRecorded = (event: KurrentEvent, position: number): RecordedEvent => {
  const { tenant, $correlationId: _correlation, $causationId: _causation, ...metadata } = (event.metadata ?? {}) as StoredMetadata;
  return { id: event.id, type: event.type, tenant, data: event.data, metadata, stream: event.streamId, revision: Number(event.revision), position };
};

/** Our events only: system event types and system streams start with `$`. */
const userEvent = (resolved: AllStreamResolvedEvent): RecordedEvent | null => {
  const event = resolved.event;
  if (!event || event.type.startsWith('$') || event.streamId.startsWith('$')) return null;
  return toRecorded(event, toPosition(event.position, `${event.streamId}@${event.revision}`));
};

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

export class KurrentDbEventStore implements EventStore {
  readonly #client: KurrentDBClient;
  readonly #logger: Logger;
  readonly #subscriptions = new Set<Subscription>();

  constructor(client: KurrentDBClient, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
  }

  async append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (events.length === 0) throw new Error(`stream ${stream}: an append needs at least one event`);
    try {
      const result = await this.#client.appendToStream(stream, events.map(toEventData), { streamState: toStreamState(expected) });
      const revision = Number(result.nextExpectedRevision);
      // An idempotent retry may come back without a position: look the last event up.
      const position = result.position ? toPosition(result.position, stream) : await this.#positionOf(stream, revision);
      return { revision, position };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      const actual = error.actualState === NO_STREAM || error.actualState < 0n ? -1 : Number(error.actualState);
      throw new WrongExpectedRevisionError(stream, expected, actual);
    }
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    if (options.maxCount !== undefined && options.maxCount <= 0) return [];
    const events: RecordedEvent[] = [];
    const read = this.#client.readStream(stream, {
      fromRevision: BigInt(Math.max(0, options.fromRevision ?? 0)),
      ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
    });
    try {
      for await (const { event } of read) {
        if (event) events.push(toRecorded(event, toPosition(event.position, `${stream}@${event.revision}`)));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll({ after = 0, maxCount = 1000 }: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    if (maxCount <= 0) return [];
    const events: RecordedEvent[] = [];
    // A read from a position includes the event there, and `after` is exclusive: one more, skipped below.
    const read = this.#client.readAll({ fromPosition: after > 0 ? at(after) : START, maxCount: maxCount + 1, filter: excludeSystemEvents() });
    for await (const resolved of read) {
      const event = userEvent(resolved);
      if (event && event.position > after) events.push(event);
      if (events.length === maxCount) break;
    }
    return events;
  }

  async headPosition(): Promise<number> {
    const read = this.#client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 100, filter: excludeSystemEvents() });
    for await (const resolved of read) {
      const event = userEvent(resolved);
      if (event) return event.position;
    }
    return 0;
  }

  /**
   * A catch-up subscription to $all, read one event at a time so that `onEvent` calls never
   * overlap and `onCaughtUp` comes only after every event the server sent before its signal.
   */
  subscribe(after: number, handlers: SubscriptionHandlers): Subscription {
    const source = this.#client.subscribeToAll({ fromPosition: after > 0 ? at(after) : START, filter: excludeSystemEvents() });
    let stopped = false;
    let caughtUp = false;
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const signal = () => {
      const resolve = wake;
      wake = null;
      resolve?.();
    };
    source
      .on('readable', signal)
      .on('caughtUp', () => {
        caughtUp = true;
        signal();
      })
      .on('error', (error: Error) => {
        failure ??= error;
        signal();
      })
      .on('end', () => {
        failure ??= new Error('the KurrentDB subscription ended');
        signal();
      });

    const deliver = async () => {
      let checkpoint = after;
      while (!stopped) {
        if (failure) throw failure;
        const resolved = source.read() as AllStreamResolvedEvent | null;
        if (resolved === null) {
          if (caughtUp) {
            caughtUp = false;
            handlers.onCaughtUp?.(checkpoint);
          } else {
            await new Promise<void>((resolve) => (wake = resolve));
          }
          continue;
        }
        const event = userEvent(resolved);
        if (!event || event.position <= checkpoint) continue;
        await handlers.onEvent(event);
        checkpoint = event.position;
      }
    };
    const unsubscribe = () => source.unsubscribe().catch((error: unknown) => this.#logger.warn({ err: error }, 'KurrentDB unsubscribe failed'));
    const running = Promise.resolve()
      .then(deliver)
      .catch(async (error: unknown) => {
        if (stopped) return;
        stopped = true;
        await unsubscribe();
        this.#logger.error({ err: error }, 'event store subscription stopped');
        handlers.onError?.(asError(error));
      });
    const subscription: Subscription = {
      close: async () => {
        stopped = true;
        signal();
        await unsubscribe();
        await running;
        this.#subscriptions.delete(subscription);
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.#client.dispose();
  }

  async #positionOf(stream: string, revision: number): Promise<number> {
    const [event] = await this.readStream(stream, { fromRevision: revision, maxCount: 1 });
    if (!event) throw new Error(`stream ${stream}: revision ${revision} was acknowledged but cannot be read`);
    return event.position;
  }
}

/** Connects lazily: the first call reaches the server. The caller closes the store. */
export const openKurrentDbEventStore = ({ connectionString, logger }: KurrentDbEventStoreOptions): KurrentDbEventStore =>
  new KurrentDbEventStore(KurrentDBClient.connectionString(connectionString), logger ?? pino({ enabled: false }));
