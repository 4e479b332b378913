/**
 * What every process that acts on the event log one event at a time shares: it follows the
 * log from a saved position and handles each event in order, at least once. The position,
 * with whatever the process folds from the log, is saved on a timer and at a stop, so a
 * start resumes from the last save and handles again what came after it: handlers are
 * idempotent. A step that fails (a store down) is retried with backoff before the log is
 * followed further, so no event is skipped.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { EventStore, RecordedEvent, Subscription } from '../events/event-store.js';

/** What a follower folds from the log besides its position, saved beside it in its file. */
export type FollowerFold = {
  readonly restore: (saved: Record<string, unknown>) => void;
  readonly snapshot: () => Record<string, unknown>;
};

export type LogFollowerOptions = {
  /** Names the process in its logs. */
  readonly name: string;
  readonly events: EventStore;
  /** Holds the position of the last event handled for sure (and the fold as of it). */
  readonly stateFile: string;
  readonly logger: Logger;
  /** Handles one event; false if the follower stopped before it was handled, which leaves the position before it. */
  readonly handle: (event: RecordedEvent) => Promise<boolean>;
  readonly fold?: FollowerFold;
  /** @defaultValue 1000 ms between saves */
  readonly saveEveryMs?: number;
};

export class LogFollower {
  #subscription: Subscription | null = null;
  #position = 0;
  #saved = -1;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(private readonly options: LogFollowerOptions) {}

  start(): void {
    this.#load();
    this.options.logger.info({ from: this.#position }, `${this.options.name} starting`);
    this.#subscription = this.options.events.subscribe(this.#position, {
      onEvent: async (event) => {
        if (await this.options.handle(event)) this.#position = event.position;
      },
      onError: (error) => this.options.logger.error({ err: error }, `${this.options.name} stopped`),
    });
    this.#timer = setInterval(() => this.#save(), this.options.saveEveryMs ?? 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#subscription?.close();
    this.#subscription = null;
    this.#save();
  }

  /** Runs `step` until it succeeds, with backoff up to 10 s apart; false if the follower stops first. */
  async retrying(what: string, context: Record<string, unknown>, step: () => Promise<unknown>): Promise<boolean> {
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        await step();
        return true;
      } catch (error) {
        const delay = Math.min(10_000, 100 * 2 ** attempt);
        this.options.logger.warn({ ...context, err: error, attempt, retry_in_ms: delay }, `${what} failed; retrying`);
        await sleep(delay);
      }
    }
    return false;
  }

  /** A bare number is a file from before followers saved a fold: the position alone. */
  #load(): void {
    if (!existsSync(this.options.stateFile)) return;
    const saved = JSON.parse(readFileSync(this.options.stateFile, 'utf8')) as number | ({ position: number } & Record<string, unknown>);
    if (typeof saved === 'number') this.#position = saved;
    else {
      this.#position = saved.position;
      this.options.fold?.restore(saved);
    }
    this.#saved = this.#position;
  }

  /** Written aside and renamed: a crash leaves the old state or the new one. */
  #save(): void {
    if (this.#position === this.#saved) return;
    const file = { ...this.options.fold?.snapshot(), position: this.#position };
    mkdirSync(dirname(this.options.stateFile), { recursive: true });
    writeFileSync(`${this.options.stateFile}.tmp`, JSON.stringify(file));
    renameSync(`${this.options.stateFile}.tmp`, this.options.stateFile);
    this.#saved = file.position;
  }
}
