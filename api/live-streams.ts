import type { EventStore, RecordedEvent, Subscription } from '../events/event-store.js';

type Follower = {
  readonly onEvent: (event: RecordedEvent) => void;
  /** The shared subscription stopped: no further event will come. */
  readonly onError: (error: Error) => void;
};

/**
 * Fans one event-store subscription out to readers of single streams, so a thousand open
 * SSE connections cost one subscription, not a thousand each filtering the whole log. The
 * subscription starts at the head when the first reader follows and closes when the last
 * one stops.
 */
export class LiveStreams {
  readonly #followers = new Map<string, Set<Follower>>();
  #subscription: Subscription | null = null;
  #starting: Promise<void> | null = null;

  constructor(private readonly store: EventStore) {}

  /**
   * From the moment this resolves, every event of `stream` the subscription has not yet
   * delivered goes to `follower`, and every event it has delivered is readable from the store.
   * Returns the function that stops following.
   */
  async follow(stream: string, follower: Follower): Promise<() => void> {
    // Loops because the last follower may have stopped (closing the subscription) while this one waited.
    while (!this.#subscription) await (this.#starting ??= this.#start());
    let followers = this.#followers.get(stream);
    if (!followers) this.#followers.set(stream, (followers = new Set()));
    followers.add(follower);
    return () => this.#unfollow(stream, follower);
  }

  async #start(): Promise<void> {
    try {
      const head = await this.store.headPosition();
      this.#subscription = this.store.subscribe(head, {
        onEvent: (event) => {
          for (const follower of this.#followers.get(event.stream) ?? []) follower.onEvent(event);
        },
        onError: (error) => {
          const everyone = [...this.#followers.values()].flatMap((followers) => [...followers]);
          this.#followers.clear();
          // Closed all the same, so the store forgets it; the next follower starts a new one.
          void this.#subscription?.close();
          this.#subscription = null;
          for (const follower of everyone) follower.onError(error);
        },
      });
    } finally {
      this.#starting = null;
    }
  }

  #unfollow(stream: string, follower: Follower): void {
    const followers = this.#followers.get(stream);
    if (!followers?.delete(follower)) return;
    if (followers.size === 0) this.#followers.delete(stream);
    if (this.#followers.size > 0 || !this.#subscription) return;
    const subscription = this.#subscription;
    this.#subscription = null;
    void subscription.close();
  }
}

const liveStreamsByStore = new WeakMap<EventStore, LiveStreams>();

/** The one fan-out of `store`, shared by every route that follows streams. */
export const liveStreamsOf = (store: EventStore): LiveStreams => {
  let live = liveStreamsByStore.get(store);
  if (!live) liveStreamsByStore.set(store, (live = new LiveStreams(store)));
  return live;
};

export type StreamReader = {
  /**
   * Each event once, in revision order from the first: the stored ones, then new ones as they
   * are appended. Returning true stops following (nothing more is wanted).
   */
  readonly onEvent: (event: RecordedEvent) => boolean;
  /** Following failed after `followStream` resolved; no further event will come. */
  readonly onError: (error: Error) => void;
};

/**
 * Reads `stream` and then follows it, with no gap and no duplicate between the two: it follows
 * before reading, so an event appended meanwhile arrives both ways and is passed on once.
 * Resolves, once the stored events were passed on, with the function that stops following.
 */
export const followStream = async (store: EventStore, stream: string, reader: StreamReader): Promise<() => void> => {
  let nextRevision = 0;
  let stopped = false;
  // Live events wait here until the stored ones before them were passed on.
  let pending: RecordedEvent[] | null = [];
  let failure: Error | null = null;
  let unfollow: (() => void) | null = null;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    unfollow?.();
  };
  const pass = (event: RecordedEvent) => {
    if (stopped || event.revision < nextRevision) return;
    nextRevision = event.revision + 1;
    if (reader.onEvent(event)) stop();
  };
  unfollow = await liveStreamsOf(store).follow(stream, {
    onEvent: (event) => (pending ? pending.push(event) : pass(event)),
    onError: (error) => {
      if (pending) failure = error;
      else if (!stopped) {
        stop();
        reader.onError(error);
      }
    },
  });
  try {
    for (const event of await store.readStream(stream)) pass(event);
  } catch (error) {
    stop();
    throw error;
  }
  for (const event of pending) pass(event);
  pending = null;
  if (failure && !stopped) {
    stop();
    throw failure;
  }
  return stop;
};
