import type { Logger } from 'pino';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { categoryOfStream } from '../events/streams.js';
import type { BusSubscription, Delivery, EventBus } from './event-bus.js';
import type { Projector } from './projector.js';
import { initialCheckpoint, type Checkpoint, type ReadStore } from './read-store.js';
import { StagedWrites } from './staged-writes.js';

export type ProjectionState = 'catching_up' | 'live' | 'stopped';

/** The event a projector failed on, and why: the projection stops there, nothing is skipped. */
export type ProjectionFailure = {
  readonly event_id: string;
  readonly event_type: string;
  readonly stream: string;
  readonly position: number;
  readonly error: string;
};

export type ProjectionStatus = {
  readonly name: string;
  readonly state: ProjectionState;
  readonly checkpoint: Checkpoint;
  readonly failure: ProjectionFailure | null;
};

/**
 * A checkpoint beyond the log's head: the read store was built from another log (a fresh
 * event store beside an old database, say). Nothing is applied to it, since events of
 * this log would land among documents of the other, and the runner does not retry.
 */
export class ForeignReadStoreError extends Error {
  readonly code = 'foreign_read_store';
  constructor(
    readonly projection: string,
    readonly checkpoint: number,
    readonly head: number,
  ) {
    super(
      `the checkpoint of projection ${projection} is at position ${checkpoint}, beyond the log's head ${head}: ` +
        'the read store was built from another event log; point it at an empty database (or drop this one) and start again',
    );
  }
}

export type RunnerStatus = {
  /** Highest global position applied by any projection. */
  readonly position: number;
  /** Where the runner resumed at start: the lowest of its projections' checkpoints. */
  readonly resumedFrom: number;
  /** True once the read models reflect the log as it was when the runner started. */
  readonly caughtUp: boolean;
  /** Why the runner is not consuming now (its bus or store failed; it retries), if it is not. */
  readonly error: string | null;
  readonly projections: readonly ProjectionStatus[];
};

type Projection = {
  readonly projector: Projector;
  readonly categories: ReadonlySet<string>;
  checkpoint: Checkpoint;
  failure: ProjectionFailure | null;
  /** The checkpoint as last written to the store, and when. */
  saved: { readonly checkpoint: Checkpoint; readonly at: number };
};

export type ProjectionRunnerOptions = {
  /** The bus consumer group, and the runner's name in logs. */
  readonly group: string;
  readonly bus: EventBus;
  readonly store: ReadStore;
  readonly projectors: readonly Projector[];
  /** The log, for its head: what "caught up" means at start, and lag. */
  readonly events: EventStore;
  readonly logger: Logger;
  /** @defaultValue 1000 ms between progress lines while catching up */
  readonly progressIntervalMs?: number;
};

const retryDelaysMs = [500, 1000, 2000, 5000, 10_000, 30_000];

/**
 * How often the checkpoint of a projection that only passed over events (none of its
 * categories) is saved. Each checkpoint is a write, and a write costs milliseconds on some
 * stores (FerretDB): saving every projection's at every batch would bound the read side's
 * rate. Left unsaved, a crash only has it pass over those events again.
 */
const passedOverSaveIntervalMs = 1000;

const min = (values: readonly number[]): number => values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);

/**
 * Feeds projectors from one bus subscription and commits what each batch changed, with
 * every projector's checkpoint, in one write to the read store. Each projector keeps its
 * own checkpoint (offsets per lane of the bus) and skips what it has already applied, so
 * they may resume from different places. A projector that fails on an event stops there
 * and reports it; the others go on. A failing bus or store is retried from the last
 * committed checkpoints.
 */
export class ProjectionRunner {
  readonly #options: ProjectionRunnerOptions;
  readonly #logger: Logger;
  readonly #projections: Projection[];
  readonly #committedListeners: ((events: readonly RecordedEvent[]) => void)[] = [];
  readonly #batchListeners = new Set<() => void>();
  #subscription: BusSubscription | null = null;
  #position = 0;
  /** A position every event at or below which is known to be applied. */
  #covered = 0;
  #caughtUp = false;
  #target = 0;
  #error: Error | null = null;
  #stopped = false;
  #retry: NodeJS.Timeout | null = null;
  #retries = 0;
  /** Batches and exclusive sections take turns on this chain. */
  #turn: Promise<unknown> = Promise.resolve();
  #caughtUpSettle: { readonly resolve: () => void; readonly reject: (error: Error) => void } | null = null;
  #progress = { at: 0, position: 0, startedAt: 0, from: 0 };

  constructor(options: ProjectionRunnerOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ runner: options.group });
    this.#projections = options.projectors.map((projector) => ({
      projector,
      categories: new Set(projector.categories),
      checkpoint: initialCheckpoint,
      failure: null,
      saved: { checkpoint: initialCheckpoint, at: 0 },
    }));
  }

  get projectors(): readonly Projector[] {
    return this.#options.projectors;
  }

  /** Where this runner's read models are. */
  get store(): ReadStore {
    return this.#options.store;
  }

  /**
   * Resolves once the read models have caught up with the log as it was at start; rejects
   * with {@link ForeignReadStoreError} when the store was built from another log.
   */
  async start(): Promise<void> {
    this.#target = await this.#options.events.headPosition();
    const caughtUp = new Promise<void>((resolve, reject) => (this.#caughtUpSettle = { resolve, reject }));
    await this.#connect(true);
    void this.#watchCatchUp();
    return caughtUp;
  }

  /** Called with each batch's events once what they changed is committed. */
  onCommitted(listener: (events: readonly RecordedEvent[]) => void): void {
    this.#committedListeners.push(listener);
  }

  status(): RunnerStatus {
    return {
      position: this.#position,
      resumedFrom: this.#progress.from,
      caughtUp: this.#caughtUp,
      error: this.#error?.message ?? null,
      projections: this.#projections.map((p) => ({
        name: p.projector.name,
        state: p.failure ? 'stopped' : this.#caughtUp ? 'live' : 'catching_up',
        checkpoint: p.checkpoint,
        failure: p.failure,
      })),
    };
  }

  /** Waits until every event at or below `position` is applied, at most `timeoutMs`; tells whether it is. */
  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (position <= this.#covered) return true;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.#covers(position)) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      // A new batch may be what was missing; partitions with nothing new are checked again after a while.
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#batchListeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 100));
        this.#batchListeners.add(done);
      });
    }
  }

  /**
   * Has reads waiting in `waitFor` check again: after each batch, and when something else
   * that covering depends on moved (the relay published). Deferred until the bus has
   * recorded the batch as handled, which it does once the batch handler returns (in the
   * microtasks that run before setImmediate): checked earlier, a waiter would find its
   * position not yet covered and sleep until its timer.
   */
  wakeWaiters(): void {
    setImmediate(() => {
      for (const wake of [...this.#batchListeners]) wake();
    });
  }

  /** Runs `work` between two batches: nothing is applied while it runs (a rebuild's switch). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(work);
    this.#turn = run.catch(() => undefined);
    return run;
  }

  /** Takes `checkpoint` as the projection's own, as a rebuild that replaced its documents leaves it. */
  adopt(name: string, checkpoint: Checkpoint): void {
    const projection = this.#projections.find((p) => p.projector.name === name);
    if (!projection) throw new Error(`no projection named ${name} in runner ${this.#options.group}`);
    projection.checkpoint = checkpoint;
    projection.saved = { checkpoint, at: Date.now() };
    projection.failure = null;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    await this.#subscription?.close();
    this.#subscription = null;
    await this.#turn;
    await this.#saveCheckpointsPassedOver();
  }

  /** At a clean stop, the checkpoints not saved since their projections last passed over events: a restart resumes at the head. */
  async #saveCheckpointsPassedOver(): Promise<void> {
    if (this.#error instanceof ForeignReadStoreError) return;
    const unsaved = this.#projections.filter((p) => p.checkpoint !== p.saved.checkpoint);
    if (unsaved.length === 0) return;
    try {
      await this.#options.store.commit([], Object.fromEntries(unsaved.map((p) => [p.projector.name, p.checkpoint])));
      for (const projection of unsaved) projection.saved = { checkpoint: projection.checkpoint, at: Date.now() };
    } catch (error) {
      this.#logger.warn(
        { err: error, projections: unsaved.map((p) => p.projector.name) },
        'checkpoints not saved at stop; those projections will pass over some events again',
      );
    }
  }

  /**
   * Prepares the store, takes the checkpoints from it and subscribes; when the store or the
   * bus is unreachable (at start too), retries with backoff rather than give up.
   */
  async #connect(starting = false): Promise<void> {
    try {
      const { store } = this.#options;
      await store.prepare(this.#options.projectors.flatMap((projector) => projector.collections));
      for (const projection of this.#projections) {
        projection.checkpoint = await store.checkpoint(projection.projector.name);
        projection.saved = { checkpoint: projection.checkpoint, at: Date.now() };
      }
      // Read after the checkpoints: a checkpoint of this log can only be at or below it.
      const head = await this.#options.events.headPosition();
      const ahead = this.#projections.find((p) => p.checkpoint.position > head);
      if (ahead) throw new ForeignReadStoreError(ahead.projector.name, ahead.checkpoint.position, head);
      if (starting) {
        const from = min(this.#projections.map((p) => p.checkpoint.position));
        this.#position = Number.isFinite(from) ? from : 0;
        this.#progress = { at: Date.now(), position: this.#position, startedAt: Date.now(), from: this.#position };
        this.#logger.info({ from: this.#position, target: this.#target, bus: this.#options.bus.name }, 'projections catching up');
      }
      await this.#subscribe();
    } catch (error) {
      this.#failed(error instanceof Error ? error : new Error(String(error)));
    }
  }

  async #subscribe(): Promise<void> {
    const lanes = new Map<string, number[]>();
    for (const projection of this.#projections) {
      for (const [lane, offset] of Object.entries(projection.checkpoint.lanes)) lanes.set(lane, [...(lanes.get(lane) ?? []), offset]);
    }
    // A lane some projection has never read starts from its beginning for all.
    const from: Record<string, number> = {};
    for (const [lane, offsets] of lanes) if (offsets.length === this.#projections.length) from[lane] = min(offsets);
    const categories = [...new Set(this.#projections.flatMap((p) => [...p.categories]))];
    this.#subscription = await this.#options.bus.subscribe(
      { group: this.#options.group, categories, from: { position: min(this.#projections.map((p) => p.checkpoint.position)) || 0, lanes: from } },
      {
        onBatch: (deliveries) => this.exclusive(() => this.#apply(deliveries)),
        onError: (error) => this.#failed(error),
      },
    );
  }

  #failed(error: Error): void {
    if (this.#stopped) return;
    this.#error = error;
    if (error instanceof ForeignReadStoreError) {
      this.#logger.fatal({ err: error }, 'projections will not run on a read store of another log');
      this.#caughtUpSettle?.reject(error);
      return;
    }
    const attempt = Math.min(this.#retries++, retryDelaysMs.length - 1);
    const delay = retryDelaysMs[attempt] as number;
    this.#logger.error({ err: error, position: this.#position, retry_in_ms: delay }, 'projections stopped consuming; retrying from the last checkpoints');
    const subscription = this.#subscription;
    this.#subscription = null;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void (async () => {
        await subscription?.close().catch(() => undefined);
        await this.#turn;
        if (!this.#stopped) await this.#connect();
      })();
    }, delay);
  }

  async #apply(deliveries: readonly Delivery[]): Promise<void> {
    const staged = new StagedWrites(this.#options.store);
    const next = this.#projections.map((p) => ({ checkpoint: p.checkpoint, failure: p.failure, changed: false, applied: false }));
    for (const { event, lane, offset } of deliveries) {
      const category = categoryOfStream(event.stream);
      for (const [index, projection] of this.#projections.entries()) {
        const state = next[index] as (typeof next)[number];
        if (state.failure || offset <= (state.checkpoint.lanes[lane] ?? -1)) continue;
        if (projection.categories.has(category)) {
          state.applied = true;
          const savepoint = staged.savepoint();
          try {
            await projection.projector.apply(event, staged);
          } catch (error) {
            staged.rollbackTo(savepoint);
            state.failure = {
              event_id: event.id,
              event_type: event.type,
              stream: event.stream,
              position: event.position,
              error: String((error as Error)?.message ?? error),
            };
            this.#logger.error(
              { err: error, projection: projection.projector.name, event_id: event.id, position: event.position, type: event.type },
              'projection stopped on an event it cannot apply',
            );
            continue;
          }
        }
        state.checkpoint = { position: Math.max(state.checkpoint.position, event.position), lanes: { ...state.checkpoint.lanes, [lane]: offset } };
        state.changed = true;
      }
    }
    const checkpoints: Record<string, Checkpoint> = {};
    const now = Date.now();
    const saved = new Set<Projection>();
    for (const [index, projection] of this.#projections.entries()) {
      const state = next[index] as (typeof next)[number];
      if (state.changed && (state.applied || now - projection.saved.at >= passedOverSaveIntervalMs)) {
        checkpoints[projection.projector.name] = state.checkpoint;
        saved.add(projection);
      }
    }
    await staged.commit([], checkpoints);
    for (const [index, projection] of this.#projections.entries()) {
      const state = next[index] as (typeof next)[number];
      projection.checkpoint = state.checkpoint;
      projection.failure = state.failure;
      if (saved.has(projection)) projection.saved = { checkpoint: state.checkpoint, at: now };
    }
    this.#error = null;
    this.#retries = 0;
    const last = deliveries.at(-1)?.event.position ?? this.#position;
    this.#position = Math.max(this.#position, last);
    const events = deliveries.map((d) => d.event);
    for (const listener of this.#committedListeners) listener(events);
    this.wakeWaiters();
    this.#reportProgress();
  }

  async #covers(position: number): Promise<boolean> {
    const subscription = this.#subscription;
    if (!subscription || !(await subscription.covers(position))) return false;
    this.#covered = Math.max(this.#covered, position);
    return true;
  }

  /** Checks after each batch, and now and then in between (a bus may have nothing to deliver), whether the start's head is reached. */
  async #watchCatchUp(): Promise<void> {
    while (!this.#caughtUp && !this.#stopped && !(this.#error instanceof ForeignReadStoreError)) {
      if (this.#target === 0 || (await this.#covers(this.#target).catch(() => false))) {
        this.#caughtUp = true;
        this.#logger.info({ position: this.#position, ms: Date.now() - this.#progress.startedAt }, 'projections caught up');
        this.#caughtUpSettle?.resolve();
        return;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#batchListeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, 250);
        this.#batchListeners.add(done);
      });
    }
  }

  #reportProgress(): void {
    if (this.#caughtUp) return;
    const now = Date.now();
    if (now - this.#progress.at < (this.#options.progressIntervalMs ?? 1000)) return;
    const rate = ((this.#position - this.#progress.position) * 1000) / Math.max(1, now - this.#progress.at);
    const left = Math.max(0, this.#target - this.#position);
    this.#progress = { ...this.#progress, at: now, position: this.#position };
    this.#logger.info(
      {
        position: this.#position,
        target: this.#target,
        percent: Math.floor((100 * (this.#position - this.#progress.from)) / Math.max(1, this.#target - this.#progress.from)),
        events_per_second: Math.round(rate),
        eta_seconds: rate > 0 ? Math.ceil(left / rate) : null,
      },
      'projections catching up',
    );
  }
}
