import { assertNever } from '../shared/decider.js';
import type { Health, InstanceEvent, InstanceSpec, InstanceStatus } from './events.js';

/** A request the workflow is still carrying out; the next one waits for it. */
export type PendingAction = 'suspend' | 'resume' | 'restart' | null;

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

/**
 * The status an event leaves an instance in: the lifecycle's one rule, which the fold below
 * and the instance workflow (tracking the events forwarded to it) both follow.
 */
export const statusAfter = <Status extends string>(status: Status, type: InstanceEvent['type']): Status | InstanceStatus => {
  switch (type) {
    case 'instance.deploy_requested':
      return 'provisioning';
    case 'instance.provisioned':
    case 'instance.resumed':
      return 'running';
    case 'instance.provisioning_failed':
      return 'failed';
    case 'instance.suspended':
      return 'suspended';
    case 'instance.destroy_requested':
      return 'destroying';
    case 'instance.destroyed':
      return 'destroyed';
    default:
      return status;
  }
};

export const evolveInstance = (state: InstanceState, event: InstanceEvent): InstanceState => {
  if (event.type === 'instance.deploy_requested') {
    return {
      status: statusAfter(state.status, event.type) as InstanceStatus,
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
  const next = { ...state, status: statusAfter(state.status, event.type) };
  switch (event.type) {
    case 'instance.registration_opened':
      return { ...next, registrationTokenHash: event.data.token_hash };
    case 'instance.agent_registered':
      return { ...next, registrationTokenHash: null, credentialHash: event.data.credential_hash };
    case 'instance.provisioned':
    case 'instance.provisioning_failed':
    case 'instance.destroyed':
      return next;
    case 'instance.spec_changed':
      return { ...next, spec: event.data.spec };
    case 'instance.suspend_requested':
      return { ...next, pending: 'suspend' };
    case 'instance.resume_requested':
      return { ...next, pending: 'resume' };
    case 'instance.restart_requested':
      return { ...next, pending: 'restart' };
    case 'instance.suspended':
    case 'instance.resumed':
    case 'instance.destroy_requested':
    case 'instance.restarted':
    case 'instance.restart_failed':
      return { ...next, pending: null };
    case 'instance.backup_requested':
      return {
        ...next,
        backupsInProgress: withSet(state.backupsInProgress, event.data.backup_id, true),
        backupIds: withSet(state.backupIds, event.data.backup_id, true),
      };
    case 'instance.backup_completed':
    case 'instance.backup_failed':
      return { ...next, backupsInProgress: withSet(state.backupsInProgress, event.data.backup_id, false) };
    case 'instance.health_changed':
      return { ...next, health: event.data.health };
    default:
      return assertNever(event);
  }
};
