/**
 * The event-store port: the only source of truth. Adapters live in infra/ and pass
 * test/events/event-store.contract.ts.
 */

/** Who caused an event, and from where. The audit log is a projection of this. */
export type Actor = {
  readonly type: 'user' | 'api_key' | 'agent' | 'workflow' | 'system';
  readonly id: string;
};

export type EventMetadata = {
  readonly actor: Actor;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  readonly request_id: string | null;
  readonly client_ip: string | null;
  readonly user_agent: string | null;
  /** ISO-8601 instant, taken from the clock by the command handler. */
  readonly occurred_at: string;
  readonly schema_version: number;
  /** The command that decided the event (`SubmitTask`); absent on events stored before commands were recorded. */
  readonly command?: string;
  /** Set when the command came with an Idempotency-Key: the key and a hash of its request. */
  readonly idempotency?: { readonly key: string; readonly request_hash: string };
  /**
   * The event's link in its stream's hash chain, set by `withHashChain` as it appends
   * (events/hash-chain.ts); absent on events written before the chain existed.
   */
  readonly chain?: EventChainLink;
};

/** `hash` covers the event as stored, `prev` included; `prev` is the hash of the stream's previous event (null at revision 0). */
export type EventChainLink = { readonly prev: string | null; readonly hash: string };

/** An event as handed to `append`. The id makes appends idempotent where a retry could repeat them. */
export type NewEvent = {
  readonly id: string;
  readonly type: string;
  readonly tenant: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
};

/** An event as stored: the envelope every reader sees. */
export type RecordedEvent = NewEvent & {
  readonly stream: string;
  /** 0-based index within its stream. */
  readonly revision: number;
  /** Position in the global log; strictly increasing in log order. */
  readonly position: number;
};

/**
 * What the writer expects of the stream: `any`, `no_stream` (it must not exist), or the
 * exact revision of its last event.
 */
export type ExpectedRevision = 'any' | 'no_stream' | number;

export type AppendResult = {
  /** Revision of the last event appended. */
  readonly revision: number;
  /** Global position of the last event appended. */
  readonly position: number;
};

export class WrongExpectedRevisionError extends Error {
  readonly code = 'wrong_expected_revision';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event, or -1 when it does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${stream}: expected revision ${String(expected)}, actual ${actual}`);
  }
}

export type ReadStreamOptions = {
  /** @defaultValue 0 */
  readonly fromRevision?: number;
  /** @defaultValue unlimited */
  readonly maxCount?: number;
};

export type ReadAllOptions = {
  /** Read events strictly after this position. @defaultValue 0 (from the start) */
  readonly after?: number;
  /** @defaultValue 1000 */
  readonly maxCount?: number;
};

export type SubscriptionHandlers = {
  /** Called once per event, in log order; the next call waits for the returned promise. */
  readonly onEvent: (event: RecordedEvent) => Promise<void> | void;
  /** Called each time the subscription has delivered everything stored so far. */
  readonly onCaughtUp?: (position: number) => void;
  /** Called once when the subscription stops on an error (it does not resume by itself). */
  readonly onError?: (error: Error) => void;
};

export type Subscription = {
  /** Stops delivery; resolves once no handler call is in flight. */
  readonly close: () => Promise<void>;
};

export interface EventStore {
  /** Appends atomically; resolves only once the events are durable. */
  append(stream: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in revision order; empty when the stream does not exist. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** A page of the global log in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event in the log now (0 when empty). */
  headPosition(): Promise<number>;
  /**
   * Delivers every event after `after` (a checkpoint; 0 = from the start), then new ones
   * as they are appended: no gap, no duplicate.
   */
  subscribe(after: number, handlers: SubscriptionHandlers): Subscription;
  close(): Promise<void>;
}
