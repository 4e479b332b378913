/**
 * What a Kafka subscription has handled, per partition, and whether that covers a global
 * position: the part of the Kafka bus that answers "may a read at position p go ahead".
 */

/** The end of one partition as the broker reported it: `high` is the offset the next message gets. */
export type PartitionEnds = { readonly low: number; readonly high: number };

/** End offsets of every partition of the subscribed topics, fetched once `publishedThrough` was `validFor`. */
export type EndOffsets = { readonly validFor: number; readonly lanes: ReadonlyMap<string, PartitionEnds> };

type Handled = {
  /** Offset of the last message handled in the lane. */
  offset: number;
  /** Highest global position handled in the lane; -1 when only a checkpoint's offset is known. */
  position: number;
};

export const laneOf = (topic: string, partition: number): string => `${topic}/${partition}`;

/**
 * Handled offsets per lane, and the covering rule.
 *
 * `covers(p)`: every event at or below position p in the subscribed topics has been handled.
 * (a) `publishedThrough() < p`: some event ≤ p may not be on the bus yet → false.
 * (b) Otherwise every event ≤ p is in its partition (the relay publishes in log order and
 *     `publish` resolves only once the broker acknowledged with acks=all). A partition is then
 *     covered when either
 *     - the highest position handled in it is ≥ p: the relay publishes in log order and the
 *       producer keeps each partition in send order, so the first copy of every event of that
 *       partition at or below p lies before that handled event (a retried publish only repeats
 *       events after their first copy), and the lane was handled in offset order; or
 *     - its handled offset has reached the end offset fetched AFTER (a) saw publishedThrough ≥ p:
 *       every event ≤ p of that partition was acknowledged before the fetch, so lies below that
 *       end, and everything below it is handled.
 *     A lane that is behind in both senses may hold an event ≤ p not yet handled, even though a
 *     higher position was handled in another partition: that is why a plain comparison with the
 *     highest position seen is wrong here.
 * End offsets fetched when publishedThrough was v are valid for every p ≤ v, so they are cached
 * with v and one fetch is shared by concurrent callers: a burst of reads asks the broker once.
 */
export class LaneProgress {
  readonly #handled = new Map<string, Handled>();
  #highest = 0;

  /** Lanes of a checkpoint (those of other topics are ignored): their offsets are handled. */
  constructor(from: Readonly<Record<string, number>>, topics: readonly string[]) {
    for (const [lane, offset] of Object.entries(from)) {
      if (topics.some((topic) => lane.startsWith(`${topic}/`))) this.#handled.set(lane, { offset, position: -1 });
    }
  }

  /** Offset of the last message handled in `lane`, if any. */
  offset(lane: string): number | undefined {
    return this.#handled.get(lane)?.offset;
  }

  /** Records that `onBatch` resolved for a lane's messages up to `offset`, of positions up to `position`. */
  handled(lane: string, offset: number, position: number): void {
    const before = this.#handled.get(lane);
    this.#handled.set(lane, { offset: Math.max(offset, before?.offset ?? -1), position: Math.max(position, before?.position ?? -1) });
    this.#highest = Math.max(this.#highest, position);
  }

  /** The highest global position handled in any lane. */
  get highest(): number {
    return this.#highest;
  }

  /** Every known lane has handled a position ≥ p: covered without asking the broker. */
  coveredByPositions(position: number, lanes: Iterable<string>): boolean {
    for (const lane of lanes) if ((this.#handled.get(lane)?.position ?? -1) < position) return false;
    return true;
  }

  /** Rule (b) above, given end offsets valid for `position`. */
  covers(position: number, ends: EndOffsets): boolean {
    for (const [lane, end] of ends.lanes) {
      const handled = this.#handled.get(lane);
      if (handled && handled.position >= position) continue;
      if (end.high <= end.low) continue;
      if ((handled?.offset ?? -1) + 1 >= end.high) continue;
      return false;
    }
    return true;
  }

  /** Messages not handled yet, summed over the lanes of `ends`. */
  behind(ends: EndOffsets): number {
    let behind = 0;
    for (const [lane, end] of ends.lanes) behind += Math.max(0, end.high - ((this.#handled.get(lane)?.offset ?? end.low - 1) + 1));
    return behind;
  }
}

/**
 * End offsets cached with the publishedThrough value they are valid for; concurrent callers
 * share one fetch. A failed fetch is forgotten, so the next caller tries again.
 */
export class EndOffsetCache {
  #latest: { readonly validFor: number; readonly ends: Promise<EndOffsets> } | null = null;
  #lanes: readonly string[] | null = null;

  constructor(private readonly fetch: (validFor: number) => Promise<EndOffsets>) {}

  /** Ends valid for `position`; `published` is publishedThrough as observed before this call (≥ position). */
  for(position: number, published: number): Promise<EndOffsets> {
    const latest = this.#latest;
    if (latest && latest.validFor >= position) return latest.ends;
    return this.fresh(published);
  }

  /** Fetches now (lag wants the current ends); the result serves later callers too. */
  fresh(published: number): Promise<EndOffsets> {
    const ends = this.fetch(published);
    const entry = { validFor: published, ends };
    // A slower fetch started earlier must not replace one valid for more.
    if (!this.#latest || this.#latest.validFor <= published) this.#latest = entry;
    ends.then(
      (fetched) => (this.#lanes = [...fetched.lanes.keys()]),
      () => {
        if (this.#latest === entry) this.#latest = null;
      },
    );
    return ends;
  }

  /** The partitions of the subscribed topics as the last successful fetch found them. */
  get lanes(): readonly string[] | null {
    return this.#lanes;
  }
}
