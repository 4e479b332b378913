import type { RecordedEvent } from '../../events/event-store.js';

/**
 * Wakes agents long-polling for work when a task is queued for their instance. Holds no
 * read model: it is told of events after the task view is committed, so a woken claim
 * finds the task in the view.
 */
export class TaskDispatch {
  readonly #waiters = new Map<string, Set<() => void>>();
  #closed = false;

  /** Once closed (Bosun is stopping), waits end at once, so long polls do not hold the shutdown. */
  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    for (const waiters of this.#waiters.values()) for (const wake of waiters) wake();
    this.#waiters.clear();
  }

  /** Called with events once the views they changed are committed: wakes the agents they queued tasks for. */
  notify(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (event.type !== 'task.queued') continue;
      const instanceId = (event.data as { instance_id: string }).instance_id;
      const waiters = this.#waiters.get(instanceId);
      if (!waiters) continue;
      this.#waiters.delete(instanceId);
      for (const wake of waiters) wake();
    }
  }

  /** Resolves when a task is queued for `instanceId`, or after `ms`, or when `signal` aborts. */
  waitForQueued(instanceId: string, ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(instanceId) ?? new Set();
      this.#waiters.set(instanceId, waiters);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(instanceId) === waiters) this.#waiters.delete(instanceId);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done);
      waiters.add(done);
    });
  }
}
