import type Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import type { PersonalData } from '../../commands/personal-data.js';
import { apiKeyCollection } from '../../projections/access/api-key-projector.js';
import type { AuditRecord } from '../../projections/audit/audit-log-projector.js';
import { auditRecords, type AuditFilter, type TimeRange } from '../../projections/audit/audit-log-queries.js';
import type { ReadStore } from '../../projections/read-store.js';
import { auditFilterQuery, listAuditLogsQuery } from '../audit-schemas.js';
import { principalOf } from '../auth.js';
import { listBody, pageFromQuery } from '../pagination.js';
import { allow } from '../permissions.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';
import { openBody } from './events.js';

export type AuditLogRoutesDeps = {
  readonly readStore: ReadStore;
  /** Where API keys are looked up, for their names. */
  readonly lookups: ReadStore;
  readonly consistent: Middleware;
  readonly logger: Logger;
  /** Reveals each record's personal data (client IP, user agent) to its team, or shows it erased. */
  readonly personal: PersonalData;
};

type AuditQuery = { [K in keyof AuditFilter]?: string } & { from?: string; to?: string };
type ListQuery = AuditQuery & { limit?: string; cursor?: string; min_position?: string };

const validateListQuery = validator<ListQuery>(listAuditLogsQuery);
const validateExportQuery = validator<AuditQuery>(auditFilterQuery);

const filterOf = (query: AuditQuery): { filter: AuditFilter; range: TimeRange } => {
  const { from, to, ...fields } = query;
  const filter = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as AuditFilter;
  return { filter, range: { ...(from ? { from: Date.parse(from) } : {}), ...(to ? { to: Date.parse(to) } : {}) } };
};

export type AuditLogEntry = ReturnType<typeof presentAuditRecord>;

const presentAuditRecord = (record: AuditRecord, actorName: string | null) => ({
  object: 'audit_log' as const,
  id: record.id,
  occurred_at: record.occurred_at,
  last_at: record.last_at,
  count: record.count,
  actor: { type: record.actor_type, id: record.actor_id, name: actorName },
  action: record.action,
  resource: { type: record.resource_type, id: record.resource_id },
  event_types: record.event_types,
  result: record.result,
  request_id: record.request_id,
  correlation_id: record.correlation_id,
  causation_id: record.causation_id,
  client_ip: record.client_ip,
  user_agent: record.user_agent,
  first_position: record.first_position,
  last_position: record.last_position,
});

/** Names of the team's API keys, looked up as records name them; a renamed key shows its current name. */
const keyNames = (lookups: ReadStore, tenant: string) => {
  const names = new Map<string, string | null>();
  const maxNames = 1_000;
  return async (actor: { readonly type: string; readonly id: string }): Promise<string | null> => {
    if (actor.type !== 'api_key') return null;
    let name = names.get(actor.id);
    if (name === undefined) {
      // Only the team's own keys: a system admin's key that created the team stays unnamed to it.
      const [key] = await apiKeyCollection(lookups).list({ tenant, key_id: actor.id }, { limit: 1 });
      if (names.size >= maxNames) names.clear();
      names.set(actor.id, (name = key?.name ?? null));
    }
    return name;
  };
};

const csvColumns = [
  'id',
  'occurred_at',
  'last_at',
  'count',
  'actor_type',
  'actor_id',
  'actor_name',
  'action',
  'resource_type',
  'resource_id',
  'event_types',
  'result',
  'request_id',
  'correlation_id',
  'causation_id',
  'client_ip',
  'user_agent',
  'first_position',
  'last_position',
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export const csvField = (value: string | number | null): string => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

const csvRow = (entry: AuditLogEntry): string => {
  const values: Record<(typeof csvColumns)[number], string | number | null> = {
    id: entry.id,
    occurred_at: entry.occurred_at,
    last_at: entry.last_at,
    count: entry.count,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id,
    actor_name: entry.actor.name,
    action: entry.action,
    resource_type: entry.resource.type,
    resource_id: entry.resource.id,
    event_types: entry.event_types.join(' '),
    result: entry.result,
    request_id: entry.request_id,
    correlation_id: entry.correlation_id,
    causation_id: entry.causation_id,
    client_ip: entry.client_ip,
    user_agent: entry.user_agent,
    first_position: entry.first_position,
    last_position: entry.last_position,
  };
  return `${csvColumns.map((column) => csvField(values[column])).join(',')}\r\n`;
};

type ExportFormat = { readonly type: string; readonly header: string; readonly encode: (entry: AuditLogEntry) => string };

const ndjson: ExportFormat = { type: 'application/x-ndjson', header: '', encode: (entry) => `${JSON.stringify(entry)}\n` };
const csv: ExportFormat = { type: 'text/csv', header: `${csvColumns.join(',')}\r\n`, encode: csvRow };

/** The team's audit log: a page at a time, or all of a range streamed. */
export const auditLogRoutes = (router: Router<BosunState>, deps: AuditLogRoutesDeps): void => {
  router.get('/audit-logs', allow('GET /api/v1/audit-logs'), deps.consistent, async (ctx) => {
    const { tenant } = principalOf(ctx);
    // Paging is read by pageFromQuery, the position by `consistent`.
    const { limit: _limit, cursor: _cursor, min_position: _minPosition, ...query } = validateListQuery({ ...ctx.query });
    const { filter, range } = filterOf(query);
    const page = pageFromQuery(ctx);
    const found: AuditRecord[] = [];
    for await (const record of auditRecords(deps.readStore, tenant, filter, range, page.before)) {
      found.push(record);
      if (found.length > page.limit) break;
    }
    const nameOf = keyNames(deps.lookups, tenant);
    const names = new Map(await Promise.all(found.map(async (record) => [record.id, await nameOf({ type: record.actor_type, id: record.actor_id })] as const)));
    ctx.body = listBody(found, page, (record) => presentAuditRecord(record, names.get(record.id) ?? null));
  });

  router.get('/audit-logs/export', allow('GET /api/v1/audit-logs/export'), async (ctx: Context) => {
    const { tenant } = principalOf(ctx);
    const { filter, range } = filterOf(validateExportQuery({ ...ctx.query }));
    const format = ctx.accepts(ndjson.type, csv.type) === csv.type ? csv : ndjson;
    const records = auditRecords(deps.readStore, tenant, filter, range);
    // Read before answering, so that a store that fails now still gets a typed error response.
    const first = await records.next();
    const nameOf = keyNames(deps.lookups, tenant);

    const out = openBody();
    ctx.req.socket.setTimeout(0);
    ctx.set({ 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    ctx.type = format.type;
    ctx.body = out.body;
    ctx.flushHeaders();

    const pump = async () => {
      const send = async (record: AuditRecord) =>
        out.add(format.encode(await deps.personal.reveal(presentAuditRecord(record, await nameOf({ type: record.actor_type, id: record.actor_id })), tenant)));
      if (!(await out.add(format.header))) return;
      if (!first.done && !(await send(first.value))) return;
      // Each page is read only once the previous one was taken by the client.
      for await (const record of records) if (!(await send(record))) return;
      await out.end();
    };
    pump().catch((error: unknown) => {
      // Headers are sent: cutting the response is the only honest answer left.
      deps.logger.error({ err: error, request_id: ctx.state.requestId }, 'audit log export failed');
      out.body.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
};
