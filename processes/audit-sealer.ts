import { randomUUID, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { GlobalChain, sealEventType, signSeal, type Seal } from '../events/audit-seal.js';
import type { EventSchemaRegistry } from '../events/event-schemas.js';
import { WrongExpectedRevisionError, type EventStore, type RecordedEvent, type Subscription } from '../events/event-store.js';
import { eventHash } from '../events/hash-chain.js';
import { auditStream } from '../events/streams.js';

export type AuditSealerOptions = {
  /** The raw store, beneath upcasting: events are hashed as stored. */
  readonly events: EventStore;
  readonly schemas: EventSchemaRegistry;
  /** The seals are the system team's events. */
  readonly systemTeamId: string;
  readonly signingKey: KeyObject | null;
  /** A seal is appended once this many events other than seals are unsealed... */
  readonly sealEvents: number;
  /** ...or this often while any is. */
  readonly sealSeconds: number;
  readonly logger: Logger;
};

const actor = { type: 'system', id: 'audit-sealer' } as const;

/**
 * Folds the global chain over the log in log order (events/audit-seal.ts) and appends a
 * seal to `audit-<system team id>` every `sealEvents` events or `sealSeconds` seconds when
 * there is anything new, and at a clean stop. Its checkpoint is its last seal: a start reads it and folds on
 * from the event after the one it covers. Seals are folded like any event, but a seal
 * alone does not call for another.
 */
export class AuditSealer {
  #chain = new GlobalChain();
  #subscription: Subscription | null = null;
  #timer: NodeJS.Timeout | null = null;
  /** Events other than seals folded since the last seal was made. */
  #unsealed = 0;
  /** Revision of the seal stream's last event, -1 for none. */
  #sealRevision = -1;
  #sealing: Promise<void> = Promise.resolve();

  constructor(private readonly options: AuditSealerOptions) {}

  get #stream(): string {
    return auditStream(this.options.systemTeamId);
  }

  async start(): Promise<void> {
    const last = await this.#lastSeal();
    if (last) this.#chain = GlobalChain.after(last.data as Seal);
    const from = last ? (last.data as Seal).through_position : 0;
    this.options.logger.info({ from, signed: this.options.signingKey !== null }, 'audit sealer starting');
    this.#subscription = this.options.events.subscribe(from, {
      onEvent: (event) => this.#fold(event),
      onError: (error) => this.options.logger.error({ err: error }, 'audit sealer stopped'),
    });
    this.#timer = setInterval(() => {
      if (this.#unsealed > 0) void this.#seal();
    }, this.options.sealSeconds * 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#subscription?.close();
    this.#subscription = null;
    // A clean stop leaves nothing unsealed.
    if (this.#unsealed > 0) void this.#seal();
    await this.#sealing;
  }

  async #lastSeal(): Promise<RecordedEvent | null> {
    const seals = await this.options.events.readStream(this.#stream);
    const last = seals.at(-1) ?? null;
    this.#sealRevision = last?.revision ?? -1;
    return last;
  }

  #fold(event: RecordedEvent): void {
    // The hash the chain recorded at append time: verify recomputes every one of them, so
    // folding the recorded hash seals the same log without encoding each event again.
    this.#chain.add(event.position, event.id, event.metadata.chain?.hash ?? eventHash(event));
    if (event.type === sealEventType) return;
    if (++this.#unsealed >= this.options.sealEvents) void this.#seal();
  }

  /** Seals what is folded now; seals are appended one at a time, in order. */
  #seal(): Promise<void> {
    const state = this.#chain.state();
    this.#unsealed = 0;
    if (!state) return this.#sealing;
    const seal = signSeal(state, this.options.signingKey);
    this.options.schemas.validate(sealEventType, seal);
    this.#sealing = this.#sealing.then(async () => {
      for (;;) {
        try {
          const { revision } = await this.options.events.append(
            this.#stream,
            [
              {
                id: randomUUID(),
                type: sealEventType,
                tenant: this.options.systemTeamId,
                data: seal,
                metadata: {
                  actor,
                  correlation_id: seal.chain_hash,
                  causation_id: seal.through_event_id,
                  request_id: null,
                  client_ip: null,
                  user_agent: null,
                  occurred_at: new Date().toISOString(),
                  schema_version: this.options.schemas.currentVersion(sealEventType),
                },
              },
            ],
            this.#sealRevision === -1 ? 'no_stream' : this.#sealRevision,
          );
          this.#sealRevision = revision;
          this.options.logger.debug({ through_position: seal.through_position, events: seal.events_count }, 'log sealed');
          return;
        } catch (error) {
          // Another sealer on the same log (KurrentDB) wrote in between: its seals and ours agree.
          if (!(error instanceof WrongExpectedRevisionError)) {
            this.options.logger.error({ err: error, through_position: seal.through_position }, 'seal not written');
            return;
          }
          await this.#lastSeal();
        }
      }
    });
    return this.#sealing;
  }
}
