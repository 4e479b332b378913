import { eventCategories } from '../../events/streams.js';
import type { Projector } from '../projector.js';
import type { ReadDocument, ReadStore } from '../read-store.js';

/**
 * What an Idempotency-Key led to, derived from the metadata of the events it appended,
 * so it survives restarts with nothing stored besides the log.
 */
export type IdempotencyRecord = ReadDocument & {
  readonly request_hash: string;
  readonly stream: string;
  /** Global position of the last event the keyed request appended. */
  readonly position: number;
  readonly occurred_at: string;
};

export const idempotencyCollection = (store: ReadStore) => store.collection<IdempotencyRecord>('idempotency');

/** Keys are scoped to the caller: two keys' holders may pick the same Idempotency-Key. */
export const idempotencyId = (tenant: string, actorId: string, key: string): string => `${tenant}\n${actorId}\n${key}`;

export type KeyedOutcome = {
  readonly tenant: string;
  readonly actorId: string;
  readonly key: string;
  readonly requestHash: string;
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly occurredAt: string;
};

/** Records a keyed request's outcome; called by the projector and right after the request succeeds. */
export const recordIdempotency = async (store: ReadStore, outcome: KeyedOutcome): Promise<void> => {
  const records = idempotencyCollection(store);
  const id = idempotencyId(outcome.tenant, outcome.actorId, outcome.key);
  const known = await records.get(id);
  if (known && known.position >= outcome.position) return;
  await records.put({
    id,
    tenant: outcome.tenant,
    seq: known?.seq ?? outcome.position,
    revision: outcome.revision,
    request_hash: outcome.requestHash,
    stream: outcome.stream,
    position: outcome.position,
    occurred_at: known?.occurred_at ?? outcome.occurredAt,
  });
};

export const idempotencyProjector: Projector = {
  name: 'idempotency',
  collections: [{ name: 'idempotency', indexes: [] }],
  // Any command may carry an Idempotency-Key.
  categories: eventCategories,
  apply: async (event, store) => {
    const idempotency = event.metadata.idempotency;
    if (!idempotency) return;
    await recordIdempotency(store, {
      tenant: event.tenant,
      actorId: event.metadata.actor.id,
      key: idempotency.key,
      requestHash: idempotency.request_hash,
      stream: event.stream,
      revision: event.revision,
      position: event.position,
      occurredAt: event.metadata.occurred_at,
    });
  },
};
