/**
 * The reactor: the only way workflows are started and signalled. It follows the event log
 * from a checkpoint and forwards each lifecycle event to its aggregate's workflow
 * (workflow id = stream id), starting the workflow with the first one. Streams proceed in
 * parallel, each strictly in order; the checkpoint only moves past events fully forwarded.
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Logger } from 'pino';
import type { EventStore, RecordedEvent, Subscription } from '../events/event-store.js';
import { readCheckpointFile, writeCheckpointFile } from '../infra/checkpoint-file.js';
import { aggregateEventOf, writtenByItsWorkflow } from './aggregate-events.js';
import { endsRemediationTask, forwardRemediationOutcome } from './remediation-outcomes.js';
import { aggregateEventSignal } from './signals.js';

/**
 * Events that change nothing a workflow decides on are not forwarded. Nor is
 * `task.started`: the task workflow only needs it once the acknowledgement is late, and
 * then the requeue it attempts reports it. Each signal costs the workflow a workflow task.
 */
const unforwarded = new Set([
  'task.progressed',
  'task.logged',
  'task.started',
  'instance.registration_opened',
  'instance.agent_registered',
  'drift.snapshot_recorded',
  // A delivery's workflow records its attempts itself and needs only the request.
  'delivery.attempted',
]);

const workflowOf: Record<string, { readonly type: string; readonly input: (id: string, tenant: string) => object }> = {
  task: { type: 'taskWorkflow', input: (taskId, tenant) => ({ taskId, tenant }) },
  instance: { type: 'instanceWorkflow', input: (instanceId, tenant) => ({ instanceId, tenant }) },
  drift: { type: 'driftWorkflow', input: (instanceId, tenant) => ({ instanceId, tenant }) },
  delivery: { type: 'deliveryWorkflow', input: (deliveryId, tenant) => ({ deliveryId, tenant }) },
};

/** Forwards in flight at once, across streams. */
const maxInFlight = 64;
const checkpointEveryMs = 1000;

export type ReactorOptions = {
  readonly events: EventStore;
  readonly client: Client;
  readonly taskQueue: string;
  /** File holding the position of the last event forwarded for sure. */
  readonly checkpointFile: string;
  readonly logger: Logger;
};

export class WorkflowReactor {
  #subscription: Subscription | null = null;
  /** Positions delivered, in order, and whether each is forwarded. */
  #outstanding: { position: number; done: boolean }[] = [];
  #inFlight = 0;
  #slotFreed: (() => void) | null = null;
  /** Last forward of each stream: the next one of that stream waits for it. */
  readonly #tails = new Map<string, Promise<void>>();
  #checkpoint = 0;
  #saved = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ReactorOptions) {}

  start(): void {
    this.#checkpoint = this.#saved = readCheckpointFile(this.options.checkpointFile);
    this.options.logger.info({ from: this.#checkpoint }, 'workflow reactor starting');
    this.#subscription = this.options.events.subscribe(this.#checkpoint, {
      onEvent: (event) => this.#deliver(event),
      onError: (error) => this.options.logger.error({ err: error }, 'workflow reactor stopped'),
    });
    this.#timer = setInterval(() => this.#saveCheckpoint(), checkpointEveryMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#subscription?.close();
    await Promise.allSettled([...this.#tails.values()]);
    this.#saveCheckpoint();
  }

  async #deliver(event: RecordedEvent): Promise<void> {
    const entry = { position: event.position, done: false };
    this.#outstanding.push(entry);
    const route = this.#route(event);
    const remediation = endsRemediationTask(event);
    if (!route && !remediation) return this.#finish(entry);
    while (this.#inFlight >= maxInFlight) await new Promise<void>((resolve) => (this.#slotFreed = resolve));
    this.#inFlight++;
    const previous = this.#tails.get(event.stream) ?? Promise.resolve();
    // A remediation's task ending is also news for its instance's drift workflow.
    const forwarded = previous
      .then(async () => {
        if (route) await this.#forward(event, route);
        if (remediation) await forwardRemediationOutcome(this.options, event);
      })
      .finally(() => {
        this.#inFlight--;
        this.#slotFreed?.();
        this.#slotFreed = null;
        this.#finish(entry);
        if (this.#tails.get(event.stream) === forwarded) this.#tails.delete(event.stream);
      });
    this.#tails.set(event.stream, forwarded);
  }

  #route(event: RecordedEvent) {
    // The task workflow's activities answer with the events they wrote.
    if (unforwarded.has(event.type) || writtenByItsWorkflow(event)) return null;
    const category = event.stream.slice(0, event.stream.indexOf('-'));
    const workflow = workflowOf[category];
    return workflow ? { ...workflow, id: event.stream.slice(category.length + 1) } : null;
  }

  /** Retries until Temporal takes the event: an event that never reaches its workflow would stall it. */
  async #forward(event: RecordedEvent, route: { type: string; id: string; input: (id: string, tenant: string) => object }): Promise<void> {
    const signal = aggregateEventOf(event);
    const common = {
      workflowId: event.stream,
      taskQueue: this.options.taskQueue,
      // A finished workflow is not started again by a late or replayed event.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    } as const;
    for (let attempt = 1; ; attempt++) {
      try {
        // A stream's first event starts its workflow as input, and eagerly: the server hands
        // the first workflow task straight back to this process's worker instead of queueing it.
        if (event.revision === 0) {
          await this.options.client.workflow.start(route.type, {
            ...common,
            args: [{ ...route.input(route.id, event.tenant), first: signal }],
            requestEagerStart: true,
          });
        } else {
          await this.options.client.workflow.signalWithStart(route.type, {
            ...common,
            args: [route.input(route.id, event.tenant)],
            signal: aggregateEventSignal,
            signalArgs: [signal],
          });
        }
        return;
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return;
        const delay = Math.min(10_000, 100 * 2 ** attempt);
        this.options.logger.warn({ err: error, stream: event.stream, type: event.type, attempt, retry_in_ms: delay }, 'event not delivered; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #finish(entry: { position: number; done: boolean }): void {
    entry.done = true;
    while (this.#outstanding[0]?.done) this.#checkpoint = (this.#outstanding.shift() as { position: number }).position;
  }

  #saveCheckpoint(): void {
    if (this.#checkpoint === this.#saved) return;
    writeCheckpointFile(this.options.checkpointFile, this.#checkpoint);
    this.#saved = this.#checkpoint;
  }
}
