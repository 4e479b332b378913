import type { InstanceEvent } from '../../domain/instance/events.js';
import { idOfStream } from '../../events/streams.js';
import type { Projector } from '../projector.js';
import type { ReadDocument, ReadStore } from '../read-store.js';

/**
 * What agent authentication reads: hashes of enrolment tokens and credentials, each bound
 * to one instance of one tenant. `id` is the hash, so a presented secret is one lookup.
 */
export type AgentCredentialView = ReadDocument & {
  readonly instance_id: string;
  readonly kind: 'registration' | 'credential';
  readonly active: boolean;
};

export const agentCredentialCollection = (store: ReadStore) => store.collection<AgentCredentialView>('agent_credentials');

const deactivate = async (store: ReadStore, instanceId: string, kind: AgentCredentialView['kind'], revision: number) => {
  const collection = agentCredentialCollection(store);
  for (const doc of await collection.list({ instance_id: instanceId, kind, active: true }, { limit: 100 })) {
    if (doc.revision < revision) await collection.put({ ...doc, active: false, revision });
  }
};

export const agentCredentialProjector: Projector = {
  name: 'agent-credentials',
  collections: [{ name: 'agent_credentials', indexes: [['instance_id', 'kind', 'active']] }],
  categories: ['instance'],
  apply: async (recorded, store) => {
    if (!recorded.type.startsWith('instance.')) return;
    const event = { type: recorded.type, data: recorded.data } as InstanceEvent;
    // Instance streams are `instance-<id>`.
    const instanceId = idOfStream(recorded.stream);
    const base = { tenant: recorded.tenant, seq: recorded.position, revision: recorded.revision, instance_id: instanceId };
    const collection = agentCredentialCollection(store);
    switch (event.type) {
      case 'instance.registration_opened':
        // A newer token replaces an unused older one (a retried provisioning activity).
        await deactivate(store, instanceId, 'registration', recorded.revision);
        if (!(await collection.get(event.data.token_hash))) await collection.put({ id: event.data.token_hash, ...base, kind: 'registration', active: true });
        return;
      case 'instance.agent_registered':
        await deactivate(store, instanceId, 'registration', recorded.revision);
        if (!(await collection.get(event.data.credential_hash)))
          await collection.put({ id: event.data.credential_hash, ...base, kind: 'credential', active: true });
        return;
      case 'instance.destroyed':
        await deactivate(store, instanceId, 'credential', recorded.revision);
        return;
      default:
        return;
    }
  },
};

/** The instance a presented secret (by hash) belongs to, if it is of `kind` and still active. */
export const findAgentCredential = async (store: ReadStore, hash: string, kind: AgentCredentialView['kind']) => {
  const doc = await agentCredentialCollection(store).get(hash);
  return doc && doc.kind === kind && doc.active ? doc : null;
};
