/**
 * Replays as of a past moment: every read model rebuilt from position 0 up to a cut of the
 * log, into scratch storage, from a view of the log that ends at the cut.
 */
import type { EventStore, RecordedEvent, Subscription } from '../events/event-store.js';
import type { Projector } from './projector.js';
import type { ReadStore } from './read-store.js';
import { buildProjections, type RebuildProgress } from './rebuild.js';

/** A bad `--to`, or one the log cannot answer. */
export class ReplayCutError extends Error {}

/** Where a replay stops: everything at or before `position`, nothing after. */
export type ReplayCut = {
  /** As asked: a position or an RFC 3339 time. */
  readonly requested: string;
  /** Position of the last event applied. */
  readonly position: number;
  /** When that event occurred (its metadata's `occurred_at`). */
  readonly occurred_at: string;
  /** The log's head when the cut was taken. */
  readonly head: number;
};

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

type ReadOnlyLog = Pick<EventStore, 'readAll' | 'headPosition'>;

/**
 * The cut `to` names. A position must be an event's position at or below the head. A time
 * cuts after the last event in the log (up to the head) that occurred at or before it:
 * times follow log order except for clock skew, and an event written later with an earlier
 * clock still counts as having happened by then (with the events logged before it).
 */
export const resolveCut = async (log: ReadOnlyLog, to: string, now: Date = new Date()): Promise<ReplayCut> => {
  const head = await log.headPosition();
  if (/^\d+$/.test(to)) {
    const position = Number(to);
    if (!Number.isSafeInteger(position) || position < 1) throw new ReplayCutError(`--to ${to}: a log position is a whole number from 1`);
    if (position > head) throw new ReplayCutError(`--to ${to}: beyond the log's head (position ${head})`);
    const [event] = await log.readAll({ after: position - 1, maxCount: 1 });
    if (!event || event.position !== position) throw new ReplayCutError(`--to ${to}: no event at that position`);
    return { requested: to, position, occurred_at: event.metadata.occurred_at, head };
  }
  const time = rfc3339.test(to) ? Date.parse(to) : NaN;
  if (Number.isNaN(time)) throw new ReplayCutError(`--to "${to}": neither an RFC 3339 time (such as 2026-12-05T10:00:00Z) nor a log position`);
  if (time > now.getTime()) throw new ReplayCutError(`--to ${to}: later than now (${now.toISOString()})`);
  let last: RecordedEvent | undefined;
  let first: RecordedEvent | undefined;
  for (let after = 0; after < head;) {
    const page = await log.readAll({ after, maxCount: 2000 });
    if (page.length === 0) break;
    for (const event of page) {
      if (event.position > head) break;
      first ??= event;
      if (Date.parse(event.metadata.occurred_at) <= time) last = event;
    }
    after = (page.at(-1) as RecordedEvent).position;
  }
  if (!last) {
    throw new ReplayCutError(
      `--to ${to}: no event occurred at or before then${first ? ` (the first occurred at ${first.metadata.occurred_at})` : ' (the log is empty)'}`,
    );
  }
  return { requested: to, position: last.position, occurred_at: last.metadata.occurred_at, head };
};

/** A write asked of a replay. */
export class ReplayReadOnlyError extends Error {
  readonly code = 'replay_read_only';
}

/**
 * The log as it stood at the cut, read-only: reads stop at the cut, its head is the cut, a
 * subscription delivers up to the cut and then waits for nothing more, appends are refused.
 */
export const logAsOf = (log: Pick<EventStore, 'readAll' | 'readStream' | 'close'>, cut: ReplayCut): EventStore => {
  const before = (events: RecordedEvent[]) => events.filter((event) => event.position <= cut.position);
  return {
    append: async () => {
      throw new ReplayReadOnlyError(`this is a replay as of position ${cut.position} (${cut.occurred_at}): nothing can be written`);
    },
    // Within a stream, positions grow with revisions: what is past the cut is the end of the page.
    readStream: async (stream, options) => before(await log.readStream(stream, options)),
    readAll: async (options) => before(await log.readAll(options)),
    headPosition: async () => cut.position,
    subscribe: (after, handlers) => {
      let stopped = false;
      const running = (async () => {
        let checkpoint = after;
        for (;;) {
          const page = before(await log.readAll({ after: checkpoint, maxCount: 500 }));
          for (const event of page) {
            if (stopped) return;
            await handlers.onEvent(event);
            checkpoint = event.position;
          }
          if (page.length === 0) break;
        }
        if (!stopped) handlers.onCaughtUp?.(checkpoint);
      })().catch((error: unknown) => {
        if (!stopped) handlers.onError?.(error instanceof Error ? error : new Error(String(error)));
      });
      const subscription: Subscription = {
        close: async () => {
          stopped = true;
          await running;
        },
      };
      return subscription;
    },
    close: () => log.close(),
  };
};

/** Where a replay writes: a store and the projectors whose read models it holds there, named in progress. */
export type ReplayTarget = { readonly label: string; readonly store: ReadStore; readonly projectors: readonly Projector[] };

export type ReplayProgress = RebuildProgress & {
  /** Which target of how many this is (1-based): each is one pass over the log. */
  readonly step: number;
  readonly steps: number;
};

/**
 * Builds every projector of every target from position 0 up to the head of `log` (a
 * {@link logAsOf} view: the cut) into its store under the live collection names, one pass
 * over the log per target.
 */
export const replayReadModels = async (options: {
  readonly log: EventStore;
  readonly targets: readonly ReplayTarget[];
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly progressIntervalMs?: number;
}): Promise<{ readonly label: string; readonly projections: readonly string[]; readonly events: number; readonly ms: number }[]> => {
  const results = [];
  for (const [index, { label, store, projectors }] of options.targets.entries()) {
    const onProgress = options.onProgress;
    const built = await buildProjections({
      projectors,
      events: options.log,
      store,
      label,
      ...(onProgress ? { onProgress: (progress: RebuildProgress) => onProgress({ ...progress, step: index + 1, steps: options.targets.length }) } : {}),
      ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    });
    results.push({ label, projections: built.projections, events: built.events, ms: built.ms });
  }
  return results;
};
