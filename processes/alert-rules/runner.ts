import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { executeAlertCommand, raiseAlert } from '../../commands/alerts.js';
import { internalContext } from '../../commands/command-context.js';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { DomainError } from '../../domain/shared/errors.js';
import type { EventStore, RecordedEvent, Subscription } from '../../events/event-store.js';
import { readCheckpointFile, writeCheckpointFile } from '../../infra/checkpoint-file.js';
import { createAlertRuleEngine, type AlertEngineSnapshot, type AlertRequest, type AlertRuleEngine } from './engine.js';
import type { AlertRule } from './rule.js';

export type AlertRuleRunnerOptions = {
  readonly events: EventStore;
  readonly commands: CommandHandlerDeps;
  readonly rules: readonly AlertRule[];
  /** File holding the position of the last event whose alerts were raised and resolved for sure. */
  readonly checkpointFile: string;
  readonly logger: Logger;
  /** @defaultValue 1000 ms between saves of the checkpoint */
  readonly checkpointEveryMs?: number;
};

const actor = { type: 'system', id: 'alert-rules' } as const;

/** What the rules remembered once every event up to `position` had been acted on. */
type EngineSnapshotFile = { readonly position: number; readonly engine: AlertEngineSnapshot };

/**
 * Runs the alert rules over the event log. What the rules remember (open alerts, recent
 * failures) is a fold of the whole log; it is saved beside the checkpoint (`<file>.rules.json`)
 * whenever everything observed has been acted on, so a start resumes from that snapshot
 * rather than folding the log from position 0 (which grew with the log). Without a usable
 * snapshot (none yet, one ahead of the checkpoint, or one lacking a rule added since) the
 * log is folded from the start. Only events past the checkpoint lead to commands. Alert
 * ids derive from their cause and a resolved alert refuses a second resolve, so the events
 * acted on again after a crash (those since the last saved checkpoint) raise nothing twice.
 */
export class AlertRuleRunner {
  readonly #engine: AlertRuleEngine;
  #subscription: Subscription | null = null;
  #checkpoint = 0;
  #saved = 0;
  /** Position of the last event the engine observed. */
  #observed = 0;
  #snapshotAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(private readonly options: AlertRuleRunnerOptions) {
    this.#engine = createAlertRuleEngine(options.rules);
  }

  start(): void {
    this.#checkpoint = this.#saved = readCheckpointFile(this.options.checkpointFile);
    const snapshot = this.#readSnapshot();
    if (snapshot) this.#engine.restore(snapshot.engine);
    this.#observed = this.#snapshotAt = snapshot?.position ?? 0;
    this.options.logger.info(
      { checkpoint: this.#checkpoint, from: this.#observed, rules: this.options.rules.map((rule) => rule.name) },
      'alert rules starting',
    );
    this.#subscription = this.options.events.subscribe(this.#observed, {
      onEvent: (event) => this.#observe(event),
      onError: (error) => this.options.logger.error({ err: error }, 'alert rules stopped'),
    });
    this.#timer = setInterval(() => this.#saveCheckpoint(), this.options.checkpointEveryMs ?? 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#subscription?.close();
    this.#subscription = null;
    this.#saveCheckpoint();
  }

  async #observe(event: RecordedEvent): Promise<void> {
    const requests = this.#engine.observe(event);
    this.#observed = event.position;
    if (event.position <= this.#checkpoint) return;
    for (const request of requests) {
      if (!(await this.#execute(event, request))) return;
    }
    this.#checkpoint = event.position;
  }

  /** Retries until the command is taken (an alert left unraised would be a silent outage); false if stopped first. */
  async #execute(cause: RecordedEvent, request: AlertRequest): Promise<boolean> {
    const ctx = internalContext({ tenant: request.tenant, actor, correlationId: cause.metadata.correlation_id, causationId: cause.id });
    const { command, alertId } = request;
    for (let attempt = 1; !this.#stopping; attempt++) {
      try {
        const result =
          command.type === 'RaiseAlert'
            ? await raiseAlert(this.options.commands, ctx, command)
            : await executeAlertCommand(this.options.commands, ctx, alertId, command);
        // Position 0: nothing appended, as when a replayed event raises an alert that exists.
        if (result.position === 0) return true;
        if (command.type === 'RaiseAlert') {
          const { rule, severity, subject, message } = command;
          this.options.logger.warn({ alert_id: alertId, rule, severity, subject, message, cause: cause.type }, 'alert raised');
        } else {
          this.options.logger.info({ alert_id: alertId, reason: command.reason, cause: cause.type }, 'alert resolved');
        }
        return true;
      } catch (error) {
        // An operator resolved the alert first: nothing left to do.
        if (error instanceof DomainError) {
          this.options.logger.debug({ err: error, alert_id: alertId, command: command.type }, 'alert rule command not needed');
          return true;
        }
        const delay = Math.min(10_000, 100 * 2 ** attempt);
        this.options.logger.warn({ err: error, alert_id: alertId, command: command.type, attempt, retry_in_ms: delay }, 'alert rule command failed; retrying');
        await sleep(delay);
      }
    }
    return false;
  }

  #saveCheckpoint(): void {
    if (this.#checkpoint !== this.#saved) {
      writeCheckpointFile(this.options.checkpointFile, this.#checkpoint);
      this.#saved = this.#checkpoint;
    }
    // The engine's state is saved only as of a position whose every alert was acted on.
    if (this.#observed === this.#checkpoint && this.#observed > this.#snapshotAt) {
      const file = this.#snapshotFile();
      writeFileSync(`${file}.tmp`, JSON.stringify({ position: this.#observed, engine: this.#engine.snapshot() } satisfies EngineSnapshotFile));
      renameSync(`${file}.tmp`, file);
      this.#snapshotAt = this.#observed;
    }
  }

  #snapshotFile(): string {
    return `${this.options.checkpointFile}.rules.json`;
  }

  #readSnapshot(): EngineSnapshotFile | null {
    let snapshot: EngineSnapshotFile;
    try {
      snapshot = JSON.parse(readFileSync(this.#snapshotFile(), 'utf8')) as EngineSnapshotFile;
    } catch {
      return null;
    }
    const complete = this.options.rules.every((rule) => rule.name in snapshot.engine.rules);
    return complete && snapshot.position <= this.#checkpoint ? snapshot : null;
  }
}
