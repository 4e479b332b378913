import type { Role, TeamEvent } from '../../domain/team/events.js';
import type { Projector } from '../projector.js';
import type { ReadDocument, ReadStore } from '../read-store.js';

export type TeamView = ReadDocument & {
  readonly name: string;
  readonly system: boolean;
  readonly created_at: string;
  /** What callers without a key may read of the team (its publication policy), checked on every such request. */
  readonly public_skill_catalog: boolean;
  readonly public_badges: boolean;
};

/** Looked up by the hash of the key a request presents, hence `id` = key hash. */
export type ApiKeyView = ReadDocument & {
  readonly key_id: string;
  readonly name: string;
  readonly role: Role;
  readonly key_prefix: string;
  readonly revoked: boolean;
  readonly created_at: string;
};

export const teamCollection = (store: ReadStore) => store.collection<TeamView>('teams');
export const apiKeyCollection = (store: ReadStore) => store.collection<ApiKeyView>('api_keys');

/** Teams and their API keys: what authentication reads. */
export const accessProjector: Projector = {
  name: 'access',
  collections: [
    { name: 'teams', indexes: [['tenant']] },
    { name: 'api_keys', indexes: [['tenant'], ['tenant', 'key_id']] },
  ],
  categories: ['team'],
  apply: async (recorded, store) => {
    if (!recorded.type.startsWith('team.')) return;
    const event = { type: recorded.type, data: recorded.data } as TeamEvent;
    const at = recorded.metadata.occurred_at;
    const base = { tenant: recorded.tenant, seq: recorded.position, revision: recorded.revision };
    switch (event.type) {
      case 'team.created':
        await teamCollection(store).put({
          id: event.data.team_id,
          ...base,
          name: event.data.name,
          system: event.data.system,
          created_at: at,
          public_skill_catalog: false,
          public_badges: false,
        });
        return;
      case 'team.publication_policy_changed': {
        const teams = teamCollection(store);
        const team = await teams.get(recorded.tenant);
        if (team && team.revision < recorded.revision) {
          await teams.put({
            ...team,
            revision: recorded.revision,
            public_skill_catalog: event.data.public_skill_catalog,
            public_badges: event.data.public_badges,
          });
        }
        return;
      }
      case 'team.api_key_issued':
        await apiKeyCollection(store).put({
          id: event.data.key_hash,
          ...base,
          key_id: event.data.key_id,
          name: event.data.name,
          role: event.data.role,
          key_prefix: event.data.key_prefix,
          revoked: false,
          created_at: at,
        });
        return;
      case 'team.api_key_revoked': {
        const keys = apiKeyCollection(store);
        const [key] = await keys.list({ tenant: recorded.tenant, key_id: event.data.key_id }, { limit: 1 });
        if (key && key.revision < recorded.revision) await keys.put({ ...key, revoked: true, revision: recorded.revision });
        return;
      }
    }
  },
};

/** The key presented by a request, if it exists and is not revoked, with its team. */
export const findActiveKey = async (store: ReadStore, keyHash: string) => {
  const key = await apiKeyCollection(store).get(keyHash);
  if (!key || key.revoked) return null;
  const team = await teamCollection(store).get(key.tenant);
  return team ? { key, team } : null;
};
