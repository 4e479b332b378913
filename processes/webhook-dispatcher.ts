/**
 * The webhook dispatcher: follows the event log and requests one delivery per event and
 * matching enabled subscription of the event's team, and one per terminal event of a task
 * submitted with a `callback_url`. Requesting appends `delivery.requested` to a stream whose
 * id derives from target and event; the reactor starts that delivery's workflow. What it
 * must remember (the subscriptions, the callback URLs of unfinished tasks) is a fold of the
 * log, saved with the position it holds for in one file: a start resumes from there, and an
 * event handled again after a crash requests nothing twice.
 */
import type { Logger } from 'pino';
import type { CommandHandlerDeps } from '../commands/handle-command.js';
import { enqueueDelivery, enqueueTaskCallback } from '../commands/webhooks.js';
import { subscribesTo, type WebhookEvent } from '../domain/webhook/index.js';
import type { EventStore, RecordedEvent } from '../events/event-store.js';
import { categoryOfStream, idOfStream } from '../events/streams.js';
import { LogFollower } from './log-follower.js';

type Subscriber = { tenant: string; eventTypes: string[]; enabled: boolean };

type TaskCallback = { tenant: string; url: string };

const terminalTaskEvents = new Set(['task.completed', 'task.failed', 'task.cancelled']);

export type WebhookDispatcherOptions = {
  readonly events: EventStore;
  readonly commands: CommandHandlerDeps;
  /** Holds the position of the last event dispatched for sure, with the fold as of it. */
  readonly stateFile: string;
  readonly logger: Logger;
  /** @defaultValue 1000 ms between saves */
  readonly saveEveryMs?: number;
};

export class WebhookDispatcher {
  #webhooks = new Map<string, Subscriber>();
  /** Task id to its team and callback URL, until the task ends. */
  #callbacks = new Map<string, TaskCallback>();
  readonly #follower: LogFollower;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.#follower = new LogFollower({
      name: 'webhook dispatcher',
      events: options.events,
      stateFile: options.stateFile,
      logger: options.logger,
      saveEveryMs: options.saveEveryMs,
      handle: (event) => this.#observe(event),
      fold: {
        restore: (saved) => {
          this.#webhooks = new Map(Object.entries(saved.webhooks as Record<string, Subscriber>));
          this.#callbacks = new Map(Object.entries(saved.callbacks as Record<string, TaskCallback>));
        },
        snapshot: () => ({ webhooks: Object.fromEntries(this.#webhooks), callbacks: Object.fromEntries(this.#callbacks) }),
      },
    });
  }

  start(): void {
    this.#follower.start();
  }

  stop(): Promise<void> {
    return this.#follower.stop();
  }

  async #observe(event: RecordedEvent): Promise<boolean> {
    const category = categoryOfStream(event.stream);
    if (category === 'webhook') this.#fold(event);
    // Deliveries are not themselves delivered: each attempt would cause another.
    if (category !== 'delivery') {
      for (const [webhookId, subscriber] of this.#webhooks) {
        if (subscriber.tenant !== event.tenant || !subscriber.enabled || !subscribesTo(subscriber.eventTypes, event.type)) continue;
        if (!(await this.#request(event, () => enqueueDelivery(this.options.commands, event.tenant, webhookId, event)))) return false;
      }
    }
    if (category === 'task') {
      const taskId = idOfStream(event.stream);
      const url = (event.data as { callback_url?: unknown }).callback_url;
      if (event.type === 'task.submitted' && typeof url === 'string') this.#callbacks.set(taskId, { tenant: event.tenant, url });
      const callback = this.#callbacks.get(taskId);
      if (callback && terminalTaskEvents.has(event.type)) {
        if (!(await this.#request(event, () => enqueueTaskCallback(this.options.commands, callback.tenant, callback.url, event)))) return false;
        this.#callbacks.delete(taskId);
      }
    }
    return true;
  }

  #fold(event: RecordedEvent): void {
    const id = idOfStream(event.stream);
    const webhook = { type: event.type, data: event.data } as WebhookEvent;
    const known = this.#webhooks.get(id);
    switch (webhook.type) {
      case 'webhook.created':
        this.#webhooks.set(id, { tenant: event.tenant, eventTypes: webhook.data.event_types, enabled: webhook.data.enabled });
        return;
      case 'webhook.updated':
        if (known) known.eventTypes = webhook.data.event_types;
        return;
      case 'webhook.enabled':
      case 'webhook.disabled':
        if (known) known.enabled = webhook.type === 'webhook.enabled';
        return;
      case 'webhook.deleted':
        this.#webhooks.delete(id);
        return;
      case 'webhook.secret_rotated':
        return;
    }
  }

  /** Retries until the request is recorded (a lost one would be a lost delivery); false if stopped first. */
  #request(cause: RecordedEvent, request: () => Promise<unknown>): Promise<boolean> {
    return this.#follower.retrying('delivery request', { cause: cause.id, type: cause.type }, request);
  }
}
