/**
 * The webhook dispatcher: follows the event log and requests one delivery per event and
 * matching enabled subscription of the event's team, and one per terminal event of a task
 * submitted with a `callback_url`. Requesting appends `delivery.requested` to a stream whose
 * id derives from target and event; the reactor starts that delivery's workflow. What it
 * must remember (the subscriptions, the callback URLs of unfinished tasks) is a fold of the
 * log, saved with the position it holds for in one file: a start resumes from there, and an
 * event handled again after a crash requests nothing twice.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CommandHandlerDeps } from '../commands/handle-command.js';
import { enqueueDelivery, enqueueTaskCallback } from '../commands/webhooks.js';
import { subscribesTo, type WebhookEvent } from '../domain/webhook/index.js';
import type { EventStore, RecordedEvent, Subscription } from '../events/event-store.js';
import { categoryOfStream, idOfStream } from '../events/streams.js';

type Subscriber = { tenant: string; eventTypes: string[]; enabled: boolean };

type DispatcherFile = {
  readonly position: number;
  readonly webhooks: Record<string, Subscriber>;
  /** Task id to its team and callback URL, until the task ends. */
  readonly callbacks: Record<string, { tenant: string; url: string }>;
};

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
  #subscription: Subscription | null = null;
  #state: { position: number; webhooks: Map<string, Subscriber>; callbacks: Map<string, { tenant: string; url: string }> } = {
    position: 0,
    webhooks: new Map(),
    callbacks: new Map(),
  };
  #saved = -1;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(private readonly options: WebhookDispatcherOptions) {}

  start(): void {
    this.#load();
    this.options.logger.info({ from: this.#state.position, webhooks: this.#state.webhooks.size }, 'webhook dispatcher starting');
    this.#subscription = this.options.events.subscribe(this.#state.position, {
      onEvent: (event) => this.#observe(event),
      onError: (error) => this.options.logger.error({ err: error }, 'webhook dispatcher stopped'),
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

  async #observe(event: RecordedEvent): Promise<void> {
    const category = categoryOfStream(event.stream);
    if (category === 'webhook') this.#fold(event);
    // Deliveries are not themselves delivered: each attempt would cause another.
    if (category !== 'delivery') {
      for (const [webhookId, subscriber] of this.#state.webhooks) {
        if (subscriber.tenant !== event.tenant || !subscriber.enabled || !subscribesTo(subscriber.eventTypes, event.type)) continue;
        if (!(await this.#request(event, () => enqueueDelivery(this.options.commands, event.tenant, webhookId, event)))) return;
      }
    }
    if (category === 'task') {
      const taskId = idOfStream(event.stream);
      const url = (event.data as { callback_url?: unknown }).callback_url;
      if (event.type === 'task.submitted' && typeof url === 'string') this.#state.callbacks.set(taskId, { tenant: event.tenant, url });
      const callback = this.#state.callbacks.get(taskId);
      if (callback && terminalTaskEvents.has(event.type)) {
        if (!(await this.#request(event, () => enqueueTaskCallback(this.options.commands, callback.tenant, callback.url, event)))) return;
        this.#state.callbacks.delete(taskId);
      }
    }
    this.#state.position = event.position;
  }

  #fold(event: RecordedEvent): void {
    const id = idOfStream(event.stream);
    const webhook = { type: event.type, data: event.data } as WebhookEvent;
    const known = this.#state.webhooks.get(id);
    switch (webhook.type) {
      case 'webhook.created':
        this.#state.webhooks.set(id, { tenant: event.tenant, eventTypes: webhook.data.event_types, enabled: webhook.data.enabled });
        return;
      case 'webhook.updated':
        if (known) known.eventTypes = webhook.data.event_types;
        return;
      case 'webhook.enabled':
      case 'webhook.disabled':
        if (known) known.enabled = webhook.type === 'webhook.enabled';
        return;
      case 'webhook.deleted':
        this.#state.webhooks.delete(id);
        return;
      case 'webhook.secret_rotated':
        return;
    }
  }

  /** Retries until the request is recorded (a lost one would be a lost delivery); false if stopped first. */
  async #request(cause: RecordedEvent, request: () => Promise<unknown>): Promise<boolean> {
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        await request();
        return true;
      } catch (error) {
        const delay = Math.min(10_000, 100 * 2 ** attempt);
        this.options.logger.warn({ err: error, cause: cause.id, type: cause.type, attempt, retry_in_ms: delay }, 'delivery not requested; retrying');
        await sleep(delay);
      }
    }
    return false;
  }

  #load(): void {
    if (!existsSync(this.options.stateFile)) return;
    const saved = JSON.parse(readFileSync(this.options.stateFile, 'utf8')) as DispatcherFile;
    this.#state = { position: saved.position, webhooks: new Map(Object.entries(saved.webhooks)), callbacks: new Map(Object.entries(saved.callbacks)) };
    this.#saved = saved.position;
  }

  /** Written aside and renamed: a crash leaves the old state or the new one. */
  #save(): void {
    if (this.#state.position === this.#saved) return;
    const file: DispatcherFile = {
      position: this.#state.position,
      webhooks: Object.fromEntries(this.#state.webhooks),
      callbacks: Object.fromEntries(this.#state.callbacks),
    };
    mkdirSync(dirname(this.options.stateFile), { recursive: true });
    writeFileSync(`${this.options.stateFile}.tmp`, JSON.stringify(file));
    renameSync(`${this.options.stateFile}.tmp`, this.options.stateFile);
    this.#saved = file.position;
  }
}
