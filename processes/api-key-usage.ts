import type { Logger } from 'pino';
import { apiKeyUsageCollection, apiKeyUsageSpec, daySeq, usageId } from '../projections/access/api-key-usage.js';
import type { ReadStore } from '../projections/read-store.js';

export type ApiKeyUsageOptions = {
  /** Counts are added to the read model this often. @defaultValue 60 000 */
  readonly flushMs?: number;
};

type Pending = { readonly tenant: string; readonly keyId: string; readonly day: string; requests: number; lastUsedAt: string };

/**
 * Requests per API key and UTC day, without an event per request: counted in process and
 * added to the `api_key_usage` read model once per interval (and on stop), as
 * {@link AccessRefusals} does for refusals. What a crash loses is at most one interval of
 * counts, never a write of the log. One process writes the collection, so adding to what
 * it read back is safe.
 */
export class ApiKeyUsage {
  readonly #pending = new Map<string, Pending>();
  readonly #flushMs: number;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ReadStore,
    private readonly logger: Logger,
    options: ApiKeyUsageOptions = {},
  ) {
    this.#flushMs = options.flushMs ?? 60_000;
  }

  async start(): Promise<void> {
    await this.store.prepare([apiKeyUsageSpec]);
    this.#timer ??= setInterval(() => void this.flush(), this.#flushMs).unref();
  }

  record(tenant: string, keyId: string, at: Date): void {
    const lastUsedAt = at.toISOString();
    const day = lastUsedAt.slice(0, 10);
    const id = usageId(keyId, day);
    const pending = this.#pending.get(id);
    if (pending) {
      pending.requests++;
      pending.lastUsedAt = lastUsedAt;
    } else {
      this.#pending.set(id, { tenant, keyId, day, requests: 1, lastUsedAt });
    }
  }

  /** Adds what was counted since the last flush to the read model. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush());
    return this.#flushing;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  async #flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const counted = [...this.#pending.entries()];
    this.#pending.clear();
    const usage = apiKeyUsageCollection(this.store);
    try {
      const writes = await Promise.all(
        counted.map(async ([id, { tenant, keyId, day, requests, lastUsedAt }]) => {
          const known = await usage.get(id);
          return {
            collection: apiKeyUsageSpec.name,
            doc: { id, tenant, seq: daySeq(day), revision: 0, key_id: keyId, day, requests: (known?.requests ?? 0) + requests, last_used_at: lastUsedAt },
          };
        }),
      );
      await this.store.commit(writes, {});
    } catch (error) {
      // Dropped rather than kept: what waits in memory must stay bounded.
      this.logger.error({ err: error, keys: counted.length }, 'API key usage not recorded');
    }
  }
}
