import type { Logger } from 'pino';
import { toDomainEvent } from '../../commands/handle-command.js';
import { alertRuleDecider, type AlertRuleEvent, type NotificationChannelRef } from '../../domain/alert-rule/index.js';
import type { AlertRaised } from '../../domain/alert/index.js';
import { replay } from '../../domain/shared/decider.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { alertRuleStream, categoryOfStream } from '../../events/streams.js';
import { LogFollower } from '../log-follower.js';
import type { NotificationChannel } from './notification-channel.js';

export type AlertNotifierOptions = {
  readonly events: EventStore;
  /** One adapter per channel type. */
  readonly channels: readonly NotificationChannel[];
  /** The position of the last alert event whose notifications were all handed over. */
  readonly stateFile: string;
  readonly logger: Logger;
  /** @defaultValue 1000 ms between saves of the position */
  readonly saveEveryMs?: number;
};

/**
 * Follows the log and, for each alert event (raised, acknowledged, resolved), notifies the
 * channels of the rule that raised the alert, as the rule names them when the event is
 * handled. Which rule, and its channels, are read from their streams (never behind). A
 * channel that fails is retried with backoff before the log is followed further, so none is
 * skipped; after a crash the events since the last saved position are notified again,
 * which the adapters absorb (the webhook seam records a second request of one event for one
 * webhook as nothing).
 */
export class AlertNotifier {
  readonly #adapters: ReadonlyMap<string, NotificationChannel>;
  readonly #follower: LogFollower;

  constructor(private readonly options: AlertNotifierOptions) {
    this.#adapters = new Map(options.channels.map((channel) => [channel.type, channel]));
    this.#follower = new LogFollower({
      name: 'alert notifier',
      events: options.events,
      stateFile: options.stateFile,
      logger: options.logger,
      saveEveryMs: options.saveEveryMs,
      handle: (event) => this.#observe(event),
    });
  }

  start(): void {
    this.options.logger.info({ channels: [...this.#adapters.keys()] }, 'alert notifier channels');
    this.#follower.start();
  }

  stop(): Promise<void> {
    return this.#follower.stop();
  }

  async #observe(event: RecordedEvent): Promise<boolean> {
    if (categoryOfStream(event.stream) !== 'alert') return true;
    for (const channel of await this.#channelsOf(event)) {
      const adapter = this.#adapters.get(channel.type);
      if (!adapter) {
        this.options.logger.warn({ channel, event_id: event.id }, 'no adapter for this notification channel type: not notified');
        continue;
      }
      const context = { channel, event_id: event.id, type: event.type };
      if (!(await this.#follower.retrying('alert notification', context, () => adapter.notify(event.tenant, channel, event)))) return false;
      this.options.logger.info(context, 'alert notification handed over');
    }
    return true;
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
}
