import type { Role, TeamEvent } from '../../domain/team/events.js';
import type { Projector } from '../projector.js';
import type { ReadDocument, ReadStore } from '../read-store.js';
import { teamCollection, type TeamView } from './access-projector.js';

/** One per key, by key id; a deleted key stays, marked, so a replayed event finds it. */
export type ApiKeyView = ReadDocument & {
  readonly key_id: string;
  readonly name: string;
  readonly role: Role;
  /** The first characters of its current secret. */
  readonly key_prefix: string;
  readonly revoked: boolean;
  readonly deleted: boolean;
  readonly created_at: string;
  /** When it stops working; null: when revoked or deleted. */
  readonly expires_at: string | null;
  /** When its secret was last replaced; null: never. */
  readonly rotated_at: string | null;
};

/**
 * A secret of a key, looked up by the hash a request presents (hence `id` = key hash). A
 * key has one current secret (`valid_until` null) and, after a rotation, the secrets it
 * replaced, each working until its grace period ends.
 */
export type ApiKeySecretView = ReadDocument & {
  readonly key_id: string;
  readonly valid_until: string | null;
};

export const apiKeyCollection = (store: ReadStore) => store.collection<ApiKeyView>('api_key_records');
export const apiKeySecretCollection = (store: ReadStore) => store.collection<ApiKeySecretView>('api_key_secrets');

/**
 * API keys and their secrets: what authentication looks a presented key up in. A
 * projection of its own (not `access`'s), so that a Bosun upgraded from keys kept by hash
 * builds it from the log at start, with nothing to run by hand.
 */
export const apiKeyProjector: Projector = {
  name: 'api_keys',
  collections: [
    { name: 'api_key_records', indexes: [['tenant'], ['tenant', 'key_id'], ['tenant', 'deleted']] },
    { name: 'api_key_secrets', indexes: [['tenant']] },
  ],
  categories: ['team'],
  apply: async (recorded, store) => {
    if (!recorded.type.startsWith('team.api_key_')) return;
    const event = { type: recorded.type, data: recorded.data } as TeamEvent;
    const at = recorded.metadata.occurred_at;
    const base = { tenant: recorded.tenant, seq: recorded.position, revision: recorded.revision };
    switch (event.type) {
      case 'team.api_key_issued':
        await apiKeySecretCollection(store).put({ id: event.data.key_hash, ...base, key_id: event.data.key_id, valid_until: null });
        await apiKeyCollection(store).put({
          id: event.data.key_id,
          ...base,
          key_id: event.data.key_id,
          name: event.data.name,
          role: event.data.role,
          key_prefix: event.data.key_prefix,
          revoked: false,
          deleted: false,
          created_at: at,
          expires_at: event.data.expires_at,
          rotated_at: null,
        });
        return;
      case 'team.api_key_revoked':
        return updateKey(store, event.data.key_id, recorded.revision, { revoked: true });
      case 'team.api_key_renamed':
        return updateKey(store, event.data.key_id, recorded.revision, { name: event.data.name });
      case 'team.api_key_deleted':
        return updateKey(store, event.data.key_id, recorded.revision, { deleted: true });
      case 'team.api_key_rotated': {
        const secrets = apiKeySecretCollection(store);
        const previous = await secrets.get(event.data.previous_key_hash);
        if (previous && previous.revision < recorded.revision) {
          await secrets.put({ ...previous, revision: recorded.revision, valid_until: event.data.previous_valid_until });
        }
        await secrets.put({ id: event.data.key_hash, ...base, key_id: event.data.key_id, valid_until: null });
        return updateKey(store, event.data.key_id, recorded.revision, { key_prefix: event.data.key_prefix, rotated_at: at });
      }
      default:
        return;
    }
  },
};

/** Applied twice, changed once: the key's revision guards it. */
const updateKey = async (store: ReadStore, keyId: string, revision: number, change: Partial<ApiKeyView>): Promise<void> => {
  const keys = apiKeyCollection(store);
  const key = await keys.get(keyId);
  if (key && key.revision < revision) await keys.put({ ...key, ...change, revision });
};

/** Why a presented key is refused: unknown, revoked or deleted (`invalid_api_key`), or past its expiry or grace period (`expired_api_key`). */
export type KeyRefusal = { readonly refused: 'invalid_api_key' | 'expired_api_key'; readonly message: string };

/**
 * The key presented by a request (by the hash of its secret) with its team, if it works at
 * `now`: expiry and grace periods are checked here, on every request, so no timer is needed
 * to stop a key on time.
 */
export const findActiveKey = async (store: ReadStore, keyHash: string, now: Date): Promise<{ key: ApiKeyView; team: TeamView } | KeyRefusal> => {
  const invalid: KeyRefusal = { refused: 'invalid_api_key', message: 'the API key is not valid or was revoked' };
  const secret = await apiKeySecretCollection(store).get(keyHash);
  if (!secret) return invalid;
  const key = await apiKeyCollection(store).get(secret.key_id);
  if (!key || key.tenant !== secret.tenant || key.revoked || key.deleted) return invalid;
  const time = now.toISOString();
  if (key.expires_at !== null && key.expires_at <= time) {
    return { refused: 'expired_api_key', message: `the API key expired at ${key.expires_at}` };
  }
  if (secret.valid_until !== null && secret.valid_until <= time) {
    return { refused: 'expired_api_key', message: `the API key was rotated; its previous secret stopped working at ${secret.valid_until}` };
  }
  const team = await teamCollection(store).get(key.tenant);
  return team ? { key, team } : invalid;
};
