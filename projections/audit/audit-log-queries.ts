import type { Filter, ReadStore } from '../read-store.js';
import { auditLogCollection, type AuditRecord } from './audit-log-projector.js';

export type AuditFilter = Pick<Filter<AuditRecord>, 'actor_type' | 'actor_id' | 'action' | 'resource_type' | 'resource_id' | 'request_id' | 'result'>;

/** Milliseconds since the epoch: records at or after `from`, before `to` (a window of refusals: overlapping them). */
export type TimeRange = { readonly from?: number; readonly to?: number };

/** Records asked of the store at a time while scanning. */
const scanPageSize = 200;

/**
 * How far log order may stray from time order: a command takes its time just before its
 * append, so a record can follow one stamped later by at most the time an append takes;
 * refusals are appended when their window ends, after their last time. A scan newest
 * first goes on this far past `from` before it stops.
 */
const reorderingMs = 60_000;

/**
 * The team's records matching `filter` and `range`, newest first, starting below `before`
 * (a cursor's seq). Read page by page as they are taken, so a long export holds one page.
 */
export async function* auditRecords(store: ReadStore, tenant: string, filter: AuditFilter, range: TimeRange, before?: number): AsyncGenerator<AuditRecord> {
  const records = auditLogCollection(store);
  let below = before;
  for (;;) {
    const page = await records.list({ tenant, ...filter }, { limit: scanPageSize, ...(below !== undefined ? { before: below } : {}) });
    for (const record of page) {
      // A record of refusals spans a window: it is in every range it overlaps.
      const first = Date.parse(record.occurred_at);
      const last = Date.parse(record.last_at);
      if (range.from !== undefined && last < range.from - reorderingMs) return;
      if ((range.from === undefined || last >= range.from) && (range.to === undefined || first < range.to)) yield record;
    }
    const last = page.at(-1);
    if (page.length < scanPageSize || !last) return;
    below = last.seq;
  }
}
