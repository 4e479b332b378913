import type { CollectionSpec, ReadDocument, ReadStore } from '../read-store.js';

/**
 * Requests one API key made on one UTC day. Not built from events (a request is not a
 * fact worth an event): the API counts in process and adds its counts here periodically
 * (processes/api-key-usage.ts), so a rebuild of the access projection leaves it as it is.
 */
export type ApiKeyUsageView = ReadDocument & {
  readonly key_id: string;
  /** `YYYY-MM-DD`, UTC. */
  readonly day: string;
  readonly requests: number;
  readonly last_used_at: string;
};

export const apiKeyUsageSpec: CollectionSpec = { name: 'api_key_usage', indexes: [['tenant', 'key_id']] };

export const apiKeyUsageCollection = (store: ReadStore) => store.collection<ApiKeyUsageView>(apiKeyUsageSpec.name);

export const usageId = (keyId: string, day: string): string => `${keyId}:${day}`;

/** Days since the epoch: a day's documents list newest first, as every list sorts by `seq`. */
export const daySeq = (day: string): number => Date.parse(`${day}T00:00:00Z`) / 86_400_000;

/** The key's most recent days of use, newest first. */
export const recentUsage = (store: ReadStore, tenant: string, keyId: string, days: number): Promise<ApiKeyUsageView[]> =>
  apiKeyUsageCollection(store).list({ tenant, key_id: keyId }, { limit: days });
