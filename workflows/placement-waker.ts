/**
 * Wakes the tasks that wait for an instance when capacity may have appeared. Once the
 * lookups hold an event that can make room (any instance event: one came up, became
 * healthy, changed its skills; a task that ended or gave its slot back; a team's policy),
 * the team's oldest waiting tasks are signalled to place themselves again at once.
 * Between chances a waiting task backs off (task-workflow.ts), so a backlog of waiting
 * tasks costs the engine little; a chance lost to a crash costs one backoff at most.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RecordedEvent } from '../events/event-store.js';
import { categoryOfStream, taskStream } from '../events/streams.js';
import type { ReadStore } from '../projections/read-store.js';
import { taskCollection } from '../projections/tasks/task-projector.js';
import { placementChanceSignal } from './signals.js';

const slotFreeing = new Set(['task.completed', 'task.failed', 'task.cancelled', 'task.timed_out', 'task.requeued', 'task.attempt_failed']);

const makesRoom = (event: RecordedEvent): boolean => {
  const category = categoryOfStream(event.stream);
  return category === 'instance' || category === 'team' || slotFreeing.has(event.type);
};

export type PlacementWakerOptions = {
  readonly client: Client;
  /** Where waiting tasks are listed: the lookups whose commits are reported to {@link PlacementWaker.notify}. */
  readonly lookups: ReadStore;
  readonly logger: Logger;
  /** Chances of one team within this window are one wake-up. @defaultValue 200 ms */
  readonly gatherMs?: number;
  /** The oldest waiting tasks woken per wake-up. @defaultValue 32 */
  readonly tasksPerWake?: number;
};

export class PlacementWaker {
  readonly #teams = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #waking: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(private readonly options: PlacementWakerOptions) {}

  /** Events the lookups have just committed. */
  notify(events: readonly RecordedEvent[]): void {
    if (this.#stopped) return;
    for (const event of events) if (makesRoom(event)) this.#teams.add(event.tenant);
    if (this.#teams.size === 0 || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#waking = this.#waking.then(() => this.#wake());
    }, this.options.gatherMs ?? 200);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#waking;
  }

  async #wake(): Promise<void> {
    const teams = [...this.#teams];
    this.#teams.clear();
    for (const tenant of teams) {
      if (this.#stopped) return;
      const waiting = await taskCollection(this.options.lookups)
        .list(
          { tenant, status: { $in: ['pending', 'waiting', 'provisioning'] } },
          { limit: this.options.tasksPerWake ?? 32, sort: { field: 'created_at', order: 'asc' } },
        )
        .catch((error: unknown) => {
          this.options.logger.warn({ err: error, tenant }, 'waiting tasks not listed: they look again after their backoff');
          return [];
        });
      await Promise.all(
        waiting.map((task) =>
          this.options.client.workflow
            .getHandle(taskStream(task.id))
            .signal(placementChanceSignal)
            .catch((error: unknown) => {
              // A task placed or ended meanwhile has no workflow waiting any more.
              if (!(error instanceof WorkflowNotFoundError)) this.options.logger.warn({ err: error, task_id: task.id }, 'placement chance not signalled');
            }),
        ),
      );
    }
  }
}
