import type { EventStore, RecordedEvent } from '../events/event-store.js';
import type { ProjectionFailure, ProjectionRunner, ProjectionState } from './projection-runner.js';
import { rebuildProjection, verifyProjection, type RebuildProgress, type RebuildResult, type VerifyResult } from './rebuild.js';
import type { Relay, RelayStatus } from './relay.js';

export type ProjectionReport = {
  readonly name: string;
  /** `lookups` (fed from the log in process) or `read_models` (fed from the bus). */
  readonly runner: string;
  readonly bus: string;
  readonly state: ProjectionState;
  readonly checkpoint_position: number;
  readonly log_head: number;
  /** Events of the log after the checkpoint (positions count events on the embedded store). */
  readonly lag_events: number;
  /** How long ago the oldest event not yet applied was written; 0 when caught up. */
  readonly lag_ms: number;
  readonly failure: ProjectionFailure | null;
};

export type ReadSideReport = {
  readonly caught_up: boolean;
  /** Why a runner is not consuming now, if one is not. */
  readonly errors: readonly string[];
  readonly relay: RelayStatus | null;
  readonly projections: readonly ProjectionReport[];
};

export class UnknownProjectionError extends Error {
  readonly code = 'unknown_projection';
  constructor(
    readonly projection: string,
    readonly known: readonly string[],
  ) {
    super(`no projection named "${projection}"; projections: ${known.join(', ')}`);
  }
}

/**
 * Everything that builds read models, seen as one: read-your-writes waits for all of it,
 * and the system routes and metrics report it.
 */
export class ReadSide {
  constructor(
    private readonly events: EventStore,
    /** Each runner with the name it is reported under; one runner may build every read model. */
    private readonly runners: readonly { readonly name: string; readonly bus: string; readonly runner: ProjectionRunner }[],
    readonly relay: Relay | null,
  ) {}

  /** Position of the last event in the log. */
  logHead(): Promise<number> {
    return this.events.headPosition();
  }

  /** Highest position applied by every runner. */
  position(): number {
    return Math.min(...this.runners.map(({ runner }) => runner.status().position));
  }

  /** Where the runners resumed at start: 0 when one of them replayed the whole log. */
  resumedFrom(): number {
    return Math.min(...this.runners.map(({ runner }) => runner.status().resumedFrom));
  }

  caughtUp(): boolean {
    return this.runners.every(({ runner }) => runner.status().caughtUp);
  }

  /**
   * Calls `listener` with each batch a caught-up runner has just made visible: the events
   * applied live, not those of a catch-up from a checkpoint, whose age says nothing of lag.
   */
  onLiveBatch(listener: (runner: string, events: readonly RecordedEvent[]) => void): void {
    for (const { name, runner } of this.runners) {
      runner.onCommitted((events) => {
        if (runner.status().caughtUp) listener(name, events);
      });
    }
  }

  /** Waits, at most `timeoutMs` in all, until every runner has applied everything at or below `position`. */
  async waitFor(position: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (const { runner } of this.runners) {
      if (!(await runner.waitFor(position, Math.max(0, deadline - Date.now())))) return false;
    }
    return true;
  }

  /** Names of every projection, once each even where two runners build it. */
  projectionNames(): string[] {
    return [...new Set(this.runners.flatMap(({ runner }) => runner.projectors.map((p) => p.name)))];
  }

  /** Each runner building the projection `name`, with its projector. */
  #building(name: string) {
    const found = this.runners.flatMap(({ name: runnerName, runner }) =>
      runner.projectors.filter((p) => p.name === name).map((projector) => ({ runnerName, runner, projector })),
    );
    if (found.length === 0) throw new UnknownProjectionError(name, this.projectionNames());
    return found;
  }

  /** Rebuilds the projection `name` wherever it is built, one runner after the other. */
  async rebuild(
    name: string,
    onProgress?: (progress: RebuildProgress & { readonly runner: string }) => void,
  ): Promise<(RebuildResult & { readonly runner: string })[]> {
    const results = [];
    for (const { runnerName, runner, projector } of this.#building(name)) {
      const progress = onProgress && ((p: RebuildProgress) => onProgress({ ...p, runner: runnerName }));
      results.push({
        ...(await rebuildProjection({ projector, runner, events: this.events, store: runner.store, ...(progress ? { onProgress: progress } : {}) })),
        runner: runnerName,
      });
    }
    return results;
  }

  /** Verifies the projection `name`, or every projection, wherever it is built. */
  async verify(
    name?: string,
    onProgress?: (progress: RebuildProgress & { readonly runner: string }) => void,
  ): Promise<(VerifyResult & { readonly runner: string })[]> {
    const results = [];
    for (const projection of name === undefined ? this.projectionNames() : [name]) {
      for (const { runnerName, runner, projector } of this.#building(projection)) {
        const progress = onProgress && ((p: RebuildProgress) => onProgress({ ...p, runner: runnerName }));
        results.push({
          ...(await verifyProjection({ projector, runner, events: this.events, store: runner.store, ...(progress ? { onProgress: progress } : {}) })),
          runner: runnerName,
        });
      }
    }
    return results;
  }

  async report(now = Date.now()): Promise<ReadSideReport> {
    const head = await this.events.headPosition();
    const occurredAfter = new Map<number, number>();
    /** When the first event after `position` was written: how far behind a checkpoint there is. */
    const lagMs = async (position: number): Promise<number> => {
      if (position >= head) return 0;
      let at = occurredAfter.get(position);
      if (at === undefined) {
        const [next] = await this.events.readAll({ after: position, maxCount: 1 });
        at = next ? Date.parse(next.metadata.occurred_at) : now;
        occurredAfter.set(position, at);
      }
      return Math.max(0, now - at);
    };
    const projections: ProjectionReport[] = [];
    const errors: string[] = [];
    for (const { name, bus, runner } of this.runners) {
      const status = runner.status();
      if (status.error) errors.push(`${name}: ${status.error}`);
      // Checkpoints only move with the categories a runner reads: a runner that has applied
      // everything up to the head is not behind, whatever its checkpoints say.
      const current = await runner.waitFor(head, 0);
      for (const projection of status.projections) {
        const applied = current && !projection.failure ? head : projection.checkpoint.position;
        projections.push({
          name: projection.name,
          runner: name,
          bus,
          state: projection.state,
          checkpoint_position: projection.checkpoint.position,
          log_head: head,
          lag_events: Math.max(0, head - applied),
          lag_ms: await lagMs(applied),
          failure: projection.failure,
        });
      }
    }
    return { caught_up: this.caughtUp(), errors, relay: this.relay ? await this.relay.status() : null, projections };
  }
}
