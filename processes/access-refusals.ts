import type { Logger } from 'pino';
import { internalContext } from '../commands/command-context.js';
import { handleCommand, type CommandHandlerDeps } from '../commands/handle-command.js';
import { auditDecider, type AccessRefusedData, type RefusalReason } from '../domain/audit/index.js';
import { auditStream } from '../events/streams.js';

/** One refused request, as the API saw it. `tenant` null: the caller was not authenticated. */
export type Refusal = {
  readonly tenant: string | null;
  readonly status: 401 | 403 | 404;
  readonly reason: RefusalReason;
  readonly method: string;
  readonly route: string;
  readonly keyId: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
  readonly requestId: string;
};

export type AccessRefusalsOptions = {
  /** Refusals are counted per source over this window, then recorded. @defaultValue 60 000 */
  readonly windowMs?: number;
  /** Sources counted apart per window; the requests of further ones are folded into one entry per team, status and reason. @defaultValue 100 */
  readonly maxSources?: number;
  /** The team whose audit log holds unauthenticated requests: the system team. */
  readonly systemTenant: () => Promise<string | null>;
};

type Entry = { data: AccessRefusedData; tenant: string | null };

/** Strings from the request are cut to what the event's schema allows. */
const cut = (value: string | null, max: number): string | null => (value === null ? null : value.slice(0, max));

/**
 * Refused requests (401, 403, 404 on another team's id) are not commands, yet are audited:
 * counted in process per source (team, status, reason, route, key, client IP) over a
 * window, and recorded once per window as `audit.access_refused` events, one per source
 * with its count. At most `maxSources` sources per window are counted apart; the rest are
 * folded, so however many requests are refused, a window writes at most `maxSources` events
 * plus one per team, status and reason. What an unauthenticated caller presented as a key
 * is never kept.
 */
export class AccessRefusals {
  readonly #entries = new Map<string, Entry>();
  readonly #windowMs: number;
  readonly #maxSources: number;
  #sources = 0;
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: CommandHandlerDeps,
    private readonly options: AccessRefusalsOptions,
    private readonly logger: Logger,
  ) {
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxSources = options.maxSources ?? 100;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.#windowMs).unref();
  }

  record(refusal: Refusal): void {
    const at = this.deps.env.now().toISOString();
    const source = JSON.stringify([refusal.tenant, refusal.status, refusal.reason, refusal.method, refusal.route, refusal.keyId, refusal.clientIp]);
    const folded = JSON.stringify([refusal.tenant, refusal.status, refusal.reason]);
    const known = this.#entries.get(source) ?? this.#entries.get(folded);
    if (known && (this.#entries.has(source) || this.#sources >= this.#maxSources)) {
      known.data = { ...known.data, count: known.data.count + 1, last_at: at };
      return;
    }
    const apart = this.#sources < this.#maxSources;
    if (apart) this.#sources++;
    this.#entries.set(apart ? source : folded, {
      tenant: refusal.tenant,
      data: {
        status: refusal.status,
        reason: refusal.reason,
        method: apart ? cut(refusal.method, 16) : null,
        route: apart ? cut(refusal.route, 200) : null,
        key_id: apart ? refusal.keyId : null,
        client_ip: apart ? cut(refusal.clientIp, 64) : null,
        user_agent: apart ? cut(refusal.userAgent, 200) : null,
        first_request_id: apart ? refusal.requestId : null,
        count: 1,
        first_at: at,
        last_at: at,
        folded: !apart,
      },
    });
  }

  /** Records what the window counted, one stream per team, and starts a new window. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flush());
    return this.#flushing;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }

  /**
   * Where a refused request came from is personal data: of the person behind the key it
   * presented, else of whoever used that address (erasable as subject `client_ip:<address>`).
   */
  async #sealOrigin(team: string, refusal: AccessRefusedData): Promise<AccessRefusedData> {
    if (refusal.client_ip === null && refusal.user_agent === null) return refusal;
    const seal = await this.deps.personal.sealerFor(team, refusal.key_id !== null ? `api_key:${refusal.key_id}` : `client_ip:${refusal.client_ip ?? ''}`);
    return {
      ...refusal,
      client_ip: refusal.client_ip === null ? null : seal(refusal.client_ip),
      user_agent: refusal.user_agent === null ? null : seal(refusal.user_agent),
    };
  }

  async #flush(): Promise<void> {
    if (this.#entries.size === 0) return;
    const byTenant = new Map<string | null, AccessRefusedData[]>();
    for (const { tenant, data } of this.#entries.values()) byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), data]);
    this.#entries.clear();
    this.#sources = 0;
    for (const [tenant, refusals] of byTenant) {
      try {
        const team = tenant ?? (await this.options.systemTenant());
        if (team === null) {
          this.logger.warn({ refused: refusals.length }, 'refused requests not recorded: there is no system team yet');
          continue;
        }
        const ctx = internalContext({
          tenant: team,
          actor: { type: 'system', id: 'access-audit' },
          correlationId: `access-audit:${refusals[0]?.first_at ?? ''}`,
        });
        const sealed = await Promise.all(refusals.map((refusal) => this.#sealOrigin(team, refusal)));
        await handleCommand(this.deps, auditDecider, auditStream(this.deps.env.newId()), { type: 'RecordRefusals', refusals: sealed }, ctx, {
          newStream: true,
        });
      } catch (error) {
        // Dropped rather than kept: what waits in memory must stay bounded.
        this.logger.error({ err: error, tenant, refused: refusals.length }, 'refused requests not recorded');
      }
    }
  }
}
