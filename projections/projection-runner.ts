import type { Logger } from 'pino';
import type { EventStore, Subscription } from '../commands/event-store.js';
import type { Projector } from './projector.js';
import type { ReadStore } from './read-store.js';

/** Events applied between two saves of the projectors' checkpoints. */
const checkpointEvery = 1000;

type Waiter = { readonly position: number; readonly resolve: (reached: boolean) => void };

export type ProjectionStatus = {
  readonly position: number;
  /** True once the read models reflect the log as it was when the runner started. */
  readonly caughtUp: boolean;
  readonly error: string | null;
};

/**
 * Feeds every projector from one checkpointed subscription. Each projector keeps its own
 * checkpoint and skips events it has already applied, so they may resume from different
 * positions.
 */
export class ProjectionRunner {
  #position = 0;
  #caughtUp = false;
  #error: Error | null = null;
  #waiters: Waiter[] = [];
  #subscription: Subscription | null = null;
  #checkpoints: number[] = [];
  #unsaved = 0;

  constructor(
    private readonly events: EventStore,
    private readonly readStore: ReadStore,
    private readonly projectors: readonly Projector[],
    private readonly logger: Logger,
    /** @defaultValue 1000 ms between progress lines while catching up */
    private readonly progressIntervalMs = 1000,
  ) {}

  /** Resolves once the read models have caught up with the log as it was at start. */
  async start(): Promise<void> {
    const checkpoints = await Promise.all(this.projectors.map((p) => this.readStore.checkpoint(p.name)));
    this.#checkpoints = checkpoints;
    const from = checkpoints.length > 0 ? Math.min(...checkpoints) : 0;
    const target = await this.events.headPosition();
    this.#position = from;
    const startedAt = Date.now();
    let lastProgress = startedAt;
    this.logger.info({ from, target }, 'projections catching up');
    await new Promise<void>((resolve, reject) => {
      const markCaughtUp = () => {
        if (this.#caughtUp || this.#position < target) return;
        this.#caughtUp = true;
        this.logger.info({ position: this.#position, ms: Date.now() - startedAt }, 'projections caught up');
        resolve();
      };
      this.#subscription = this.events.subscribe(from, {
        onEvent: async (event) => {
          for (let index = 0; index < this.projectors.length; index++) {
            if (event.position <= (checkpoints[index] ?? 0)) continue;
            await (this.projectors[index] as Projector).apply(event, this.readStore);
            checkpoints[index] = event.position;
          }
          if (++this.#unsaved >= checkpointEvery) await this.#saveCheckpoints();
          this.#advance(event.position);
          if (!this.#caughtUp && Date.now() - lastProgress >= this.progressIntervalMs) {
            lastProgress = Date.now();
            this.logger.info(
              { position: event.position, target, percent: Math.floor((100 * (event.position - from)) / Math.max(1, target - from)) },
              'projections catching up',
            );
          }
          markCaughtUp();
        },
        onCaughtUp: markCaughtUp,
        onError: (error) => {
          this.#error = error;
          this.logger.error({ err: error, position: this.#position }, 'projections stopped');
          reject(error);
        },
      });
    });
  }

  status(): ProjectionStatus {
    return { position: this.#position, caughtUp: this.#caughtUp, error: this.#error?.message ?? null };
  }

  /** Waits until the read models reflect `position`, at most `timeoutMs`; tells whether they do. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.#position >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter: Waiter = {
        position,
        resolve: (reached) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    await this.#subscription?.close();
    this.#subscription = null;
    if (this.#unsaved > 0) await this.#saveCheckpoints();
  }

  /**
   * Checkpoints are saved every `checkpointEvery` events, not after each: projectors are
   * idempotent, so after a crash the few events since the last save are simply applied again.
   */
  async #saveCheckpoints(): Promise<void> {
    this.#unsaved = 0;
    for (const [index, projector] of this.projectors.entries()) {
      await this.readStore.saveCheckpoint(projector.name, this.#checkpoints[index] ?? 0);
    }
  }

  #advance(position: number): void {
    this.#position = position;
    if (this.#waiters.length === 0) return;
    const reached = this.#waiters.filter((w) => w.position <= position);
    if (reached.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.position > position);
    for (const waiter of reached) waiter.resolve(true);
  }
}
