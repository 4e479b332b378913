import { assertNever } from '../shared/decider.js';
import type { Health, InstanceEvent, InstanceSpec, InstanceStatus } from './events.js';

/** A request the workflow is still carrying out; the next one waits for it. */
export type PendingAction = 'suspend' | 'resume' | null;

export type InstanceState =
  | { readonly status: 'none' }
  | {
      readonly status: InstanceStatus;
      readonly instanceId: string;
      readonly spec: InstanceSpec;
      readonly pending: PendingAction;
      readonly health: Health;
      /** Backups requested and not yet completed or failed. */
      readonly backupsInProgress: ReadonlySet<string>;
      /** Backup ids ever requested, so a retried request cannot reuse one. */
      readonly backupIds: ReadonlySet<string>;
      /** Hash of the enrolment token not yet used, if any. */
      readonly registrationTokenHash: string | null;
      /** Hash of the credential the agent authenticates with, once enrolled. */
      readonly credentialHash: string | null;
    };

export const initialInstanceState = (): InstanceState => ({ status: 'none' });

const withSet = (set: ReadonlySet<string>, id: string, present: boolean): ReadonlySet<string> => {
  const next = new Set(set);
  if (present) next.add(id);
  else next.delete(id);
  return next;
};

export const evolveInstance = (state: InstanceState, event: InstanceEvent): InstanceState => {
  if (event.type === 'instance.deploy_requested') {
    return {
      status: 'provisioning',
      instanceId: event.data.instance_id,
      spec: event.data.spec,
      pending: null,
      health: 'unknown',
      backupsInProgress: new Set(),
      backupIds: new Set(),
      registrationTokenHash: null,
      credentialHash: null,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'instance.registration_opened':
      return { ...state, registrationTokenHash: event.data.token_hash };
    case 'instance.agent_registered':
      return { ...state, registrationTokenHash: null, credentialHash: event.data.credential_hash };
    case 'instance.provisioned':
      return { ...state, status: 'running' };
    case 'instance.provisioning_failed':
      return { ...state, status: 'failed' };
    case 'instance.spec_changed':
      return { ...state, spec: event.data.spec };
    case 'instance.suspend_requested':
      return { ...state, pending: 'suspend' };
    case 'instance.suspended':
      return { ...state, status: 'suspended', pending: null };
    case 'instance.resume_requested':
      return { ...state, pending: 'resume' };
    case 'instance.resumed':
      return { ...state, status: 'running', pending: null };
    case 'instance.destroy_requested':
      return { ...state, status: 'destroying', pending: null };
    case 'instance.destroyed':
      return { ...state, status: 'destroyed' };
    case 'instance.backup_requested':
      return {
        ...state,
        backupsInProgress: withSet(state.backupsInProgress, event.data.backup_id, true),
        backupIds: withSet(state.backupIds, event.data.backup_id, true),
      };
    case 'instance.backup_completed':
    case 'instance.backup_failed':
      return { ...state, backupsInProgress: withSet(state.backupsInProgress, event.data.backup_id, false) };
    case 'instance.health_changed':
      return { ...state, health: event.data.health };
    default:
      return assertNever(event);
  }
};
