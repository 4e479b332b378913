import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { toDomainEvent } from '../../commands/handle-command.js';
import { alertRuleDecider, type AlertRuleEvent, type NotificationChannelRef } from '../../domain/alert-rule/index.js';
import type { AlertRaised } from '../../domain/alert/index.js';
import { replay } from '../../domain/shared/decider.js';
import type { EventStore, RecordedEvent, Subscription } from '../../events/event-store.js';
import { alertRuleStream, categoryOfStream } from '../../events/streams.js';
import { readCheckpointFile, writeCheckpointFile } from '../../infra/checkpoint-file.js';
import type { NotificationChannel } from './notification-channel.js';

export type AlertNotifierOptions = {
  readonly events: EventStore;
  /** One adapter per channel type. */
  readonly channels: readonly NotificationChannel[];
  /** The position of the last alert event whose notifications were all handed over. */
  readonly checkpointFile: string;
  readonly logger: Logger;
  /** @defaultValue 1000 ms between saves of the checkpoint */
  readonly checkpointEveryMs?: number;
};

/**
 * Follows the log and, for each alert event (raised, acknowledged, resolved), notifies the
 * channels of the rule that raised the alert, as the rule names them when the event is
 * handled. Which rule, and its channels, are read from their streams (never behind). A
 * channel that fails is retried with backoff before the log is followed further, so none is
 * skipped; after a crash the events since the last saved checkpoint are notified again,
 * which the adapters absorb (the webhook seam records a second request of one event for one
 * webhook as nothing).
 */
export class AlertNotifier {
  readonly #adapters: ReadonlyMap<string, NotificationChannel>;
  #subscription: Subscription | null = null;
  #checkpoint = 0;
  #saved = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(private readonly options: AlertNotifierOptions) {
    this.#adapters = new Map(options.channels.map((channel) => [channel.type, channel]));
  }

  start(): void {
    this.#checkpoint = this.#saved = readCheckpointFile(this.options.checkpointFile);
    this.options.logger.info({ checkpoint: this.#checkpoint, channels: [...this.#adapters.keys()] }, 'alert notifier starting');
    this.#subscription = this.options.events.subscribe(this.#checkpoint, {
      onEvent: (event) => this.#observe(event),
      onError: (error) => this.options.logger.error({ err: error }, 'alert notifier stopped'),
    });
    this.#timer = setInterval(() => this.#save(), this.options.checkpointEveryMs ?? 1000);
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
    if (categoryOfStream(event.stream) === 'alert') {
      for (const channel of await this.#channelsOf(event)) {
        if (!(await this.#notify(event, channel))) return;
      }
    }
    this.#checkpoint = event.position;
  }

  /** The channels of the rule that raised the alert; none for alerts raised before rules were a team's, or a rule deleted. */
  async #channelsOf(event: RecordedEvent): Promise<readonly NotificationChannelRef[]> {
    const [raised] = await this.options.events.readStream(event.stream, { maxCount: 1 });
    const ruleId = raised && (raised.data as AlertRaised['data']).rule_id;
    if (!ruleId) return [];
    const rule = replay(
      alertRuleDecider,
      (await this.options.events.readStream(alertRuleStream(ruleId))).map((recorded) => toDomainEvent<AlertRuleEvent>(recorded)),
    );
    return rule.status === 'deleted' || rule.definition === null ? [] : rule.definition.channels;
  }

  /** Retries until the adapter takes it; false if stopped first. */
  async #notify(event: RecordedEvent, channel: NotificationChannelRef): Promise<boolean> {
    const adapter = this.#adapters.get(channel.type);
    if (!adapter) {
      this.options.logger.warn({ channel, event_id: event.id }, 'no adapter for this notification channel type: not notified');
      return true;
    }
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        await adapter.notify(event.tenant, channel, event);
        this.options.logger.info({ channel, event_id: event.id, type: event.type }, 'alert notification handed over');
        return true;
      } catch (error) {
        const delay = Math.min(10_000, 100 * 2 ** attempt);
        this.options.logger.warn({ err: error, channel, event_id: event.id, attempt, retry_in_ms: delay }, 'alert notification failed; retrying');
        await sleep(delay);
      }
    }
    return false;
  }

  #save(): void {
    if (this.#checkpoint === this.#saved) return;
    writeCheckpointFile(this.options.checkpointFile, this.#checkpoint);
    this.#saved = this.#checkpoint;
  }
}
