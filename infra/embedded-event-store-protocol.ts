/** Messages between embedded event stores and their writer thread (one per process, serving every open store). */
import type { AppendResult, ExpectedRevision } from '../events/event-store.js';

/** One append as sent to the writer: per event `id, type, tenant, data JSON, metadata JSON`. */
export type WriterAppend = { readonly stream: string; readonly expected: ExpectedRevision; readonly fields: readonly string[] };
export const fieldsPerEvent = 5;
/** `store` tells the writer's connections apart; each store opens its own. */
export type WriterRequest =
  | { readonly type: 'open'; readonly store: number; readonly file: string }
  | { readonly type: 'append'; readonly store: number; readonly batch: readonly WriterAppend[] }
  | { readonly type: 'close'; readonly store: number };
/** What became of one append of a committed batch. */
export type WriterOutcome = AppendResult | { readonly actual: number } | { readonly duplicate: true };
/**
 * The answer to an append: `outcomes` once the batch is durable, with how far the stream
 * index reaches now (`indexed`), or `failed` when it was rolled back as a whole. `broken`:
 * the store's connection could not be opened. `closed`: it is.
 */
export type WriterReply =
  | { readonly store: number; readonly head: number; readonly indexed: number; readonly outcomes: readonly WriterOutcome[] }
  | { readonly store: number; readonly head: number; readonly failed: string }
  | { readonly store: number; readonly broken: string }
  | { readonly store: number; readonly closed: true };
