import type { TeamEvent } from '../../domain/team/events.js';
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

export const teamCollection = (store: ReadStore) => store.collection<TeamView>('teams');

/**
 * Teams: what authentication reads with the key (projections/access/api-key-projector.ts).
 * Its collection `api_keys` held keys by hash until keys got a projection of their own; it
 * is no longer written or read.
 */
export const accessProjector: Projector = {
  name: 'access',
  collections: [{ name: 'teams', indexes: [['tenant']] }],
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
      case 'team.renamed':
        return updateTeam(store, recorded.tenant, recorded.revision, { name: event.data.name });
    }
  },
};

/** Applied twice, changed once: the team's revision guards it. */
const updateTeam = async (store: ReadStore, teamId: string, revision: number, change: Partial<TeamView>): Promise<void> => {
  const teams = teamCollection(store);
  const team = await teams.get(teamId);
  if (team && team.revision < revision) await teams.put({ ...team, ...change, revision });
};
