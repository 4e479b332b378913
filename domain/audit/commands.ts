import type { AccessRefusedData } from './events.js';

/** The refused requests of one window, for one team. */
export type RecordRefusals = { readonly type: 'RecordRefusals'; readonly refusals: readonly AccessRefusedData[] };
export type AuditCommand = RecordRefusals;
