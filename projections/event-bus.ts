/**
 * The bus port: how read models receive the log's events. Adapters live in infra/: the
 * embedded bus fans the event-store subscription out in process; the Kafka bus carries
 * what the relay published (one topic per aggregate category, keyed by stream id).
 * Both pass test/projections/event-bus.contract.ts.
 */
import type { RecordedEvent } from '../events/event-store.js';
import type { Checkpoint } from './read-store.js';

/**
 * An event as the bus delivered it: `lane` is an ordered part of the bus (the log itself,
 * or one partition of one topic) and `offset` its place there, increasing along the lane.
 */
export type Delivery = {
  readonly event: RecordedEvent;
  readonly lane: string;
  readonly offset: number;
};

export type BusHandlers = {
  /**
   * Called with deliveries in lane order; the next call waits for the returned promise.
   * A rejection stops the subscription and reaches `onError`.
   */
  readonly onBatch: (deliveries: readonly Delivery[]) => Promise<void>;
  /** Called once when the subscription stops on an error (it does not resume by itself). */
  readonly onError: (error: Error) => void;
};

export type SubscribeOptions = {
  /** Who consumes: subscriptions of one group share their progress on the bus. */
  readonly group: string;
  /** Aggregate categories wanted (`task`, `instance`, ...); others may be left out. */
  readonly categories: readonly string[];
  /** Deliver only what lies after these lanes' offsets; lanes not named start from their beginning. */
  readonly from: Checkpoint;
};

export type BusLag = {
  /** Events on the bus not yet handled (0 when caught up). */
  readonly events: number;
  /** Global position of the newest event the bus holds for this subscription, when known. */
  readonly head: number;
};

export type BusSubscription = {
  /**
   * True once every event at or below `position` in the subscribed categories has been
   * handled (its `onBatch` call resolved). Partitions make this more than a comparison: an
   * event at a lower position may still be in flight in another lane.
   */
  readonly covers: (position: number) => Promise<boolean>;
  readonly lag: () => Promise<BusLag>;
  /** Stops delivery; resolves once no `onBatch` call is in flight. */
  readonly close: () => Promise<void>;
};

export interface EventBus {
  /** The bus's name in logs and metrics (`embedded`, `kafka`). */
  readonly name: string;
  subscribe(options: SubscribeOptions, handlers: BusHandlers): Promise<BusSubscription>;
  /** Whether the bus's engine answers now; a reason when it does not. */
  health(): Promise<{ readonly ok: boolean; readonly reason?: string }>;
  close(): Promise<void>;
}

/**
 * What the relay publishes through: the log's events, in log order, made durable on the
 * bus before `publish` resolves. A retried publish may repeat events; consumers are
 * idempotent.
 */
export interface BusPublisher {
  publish(events: readonly RecordedEvent[]): Promise<void>;
  close(): Promise<void>;
}
