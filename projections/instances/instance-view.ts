import { isSecretSetting } from '../../domain/drift/compare.js';
import {
  evolveInstance,
  initialInstanceState,
  instanceActionsAllowed,
  type Health,
  type InstanceError,
  type InstanceEvent,
  type InstanceSpec,
  type InstanceState,
  type InstanceStatus,
  type OperatorAction,
  type PendingAction,
} from '../../domain/instance/index.js';
import { assertNever } from '../../domain/shared/decider.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { ReadDocument } from '../read-store.js';

/** Shown in place of the value of a setting whose name looks secret. */
export const redacted = '[redacted]';

export type BackupView = {
  readonly backup_id: string;
  readonly status: 'requested' | 'completed' | 'failed';
  readonly location: string | null;
  readonly size_bytes: number | null;
  readonly error: InstanceError | null;
  readonly requested_at: string;
  readonly finished_at: string | null;
};

/**
 * The instance read model: what operators see of an instance. Holds no secret: settings
 * that look secret are redacted, and the enrolment token and agent credential hashes are
 * left out.
 */
export type InstanceView = ReadDocument & {
  readonly name: string;
  readonly provider: string;
  readonly status: InstanceStatus;
  /** A suspend or resume the workflow is still carrying out. */
  readonly pending: PendingAction;
  readonly health: Health;
  readonly health_reason: string | null;
  readonly spec: InstanceSpec;
  /** Names of the skills of the spec, for lists filtered by skill. */
  readonly skills: readonly string[];
  /** Where the provider says the instance can be reached, once provisioned. */
  readonly endpoint: string | null;
  readonly agent: { readonly version: string; readonly hostname: string | null; readonly registered_at: string } | null;
  readonly backups: readonly BackupView[];
  readonly last_error: InstanceError | null;
  readonly allowed_actions: readonly OperatorAction[];
  readonly created_at: string;
  readonly updated_at: string;
  /** Global position of the last event applied. */
  readonly position: number;
};

/** Secret-looking names are redacted at any depth: a nested `password` is no less secret. */
const redactSecrets = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, isSecretSetting(name) ? redacted : redactSecrets(inner)]));
};

const shownSpec = (spec: InstanceSpec): InstanceSpec => ({ ...spec, settings: redactSecrets(spec.settings) as InstanceSpec['settings'] });

const skillNames = (spec: InstanceSpec): string[] => spec.skills.map((skill) => skill.name);

/**
 * The domain state as far as the view knows it, so lifecycle changes and allowed actions
 * come from the domain's one table. The hashes are not in the view; no operator action
 * depends on them.
 */
const domainStateOf = (view: InstanceView): InstanceState => ({
  status: view.status,
  instanceId: view.id,
  spec: view.spec,
  pending: view.pending,
  health: view.health,
  backupsInProgress: new Set(view.backups.filter((backup) => backup.status === 'requested').map((backup) => backup.backup_id)),
  backupIds: new Set(view.backups.map((backup) => backup.backup_id)),
  registrationTokenHash: null,
  credentialHash: null,
});

const lifecycleOf = (state: InstanceState) => {
  if (state.status === 'none') throw new Error('an instance event left no instance');
  return { status: state.status, pending: state.pending, allowed_actions: instanceActionsAllowed(state) };
};

const finishBackup = (view: InstanceView, backupId: string, changes: Partial<BackupView>): Partial<InstanceView> => ({
  backups: view.backups.map((backup) => (backup.backup_id === backupId ? { ...backup, ...changes } : backup)),
});

/** What an event changes besides the lifecycle. */
const changesOf = (view: InstanceView, event: InstanceEvent, at: string): Partial<InstanceView> => {
  switch (event.type) {
    case 'instance.deploy_requested':
    case 'instance.registration_opened':
    case 'instance.suspend_requested':
    case 'instance.suspended':
    case 'instance.resume_requested':
    case 'instance.resumed':
    case 'instance.destroy_requested':
    case 'instance.restart_requested':
    case 'instance.restarted':
      return {};
    case 'instance.restart_failed':
      return { last_error: event.data.error };
    // No agent runs any more: the last health reported says nothing now.
    case 'instance.destroyed':
      return { health: 'unknown', health_reason: 'instance destroyed' };
    case 'instance.agent_registered':
      return { agent: { version: event.data.agent_version, hostname: event.data.hostname, registered_at: at } };
    case 'instance.provisioned':
      return { endpoint: event.data.endpoint };
    case 'instance.provisioning_failed':
      return { last_error: event.data.error };
    case 'instance.spec_changed':
      return { spec: shownSpec(event.data.spec), skills: skillNames(event.data.spec) };
    case 'instance.backup_requested':
      return {
        backups: [
          ...view.backups,
          { backup_id: event.data.backup_id, status: 'requested', location: null, size_bytes: null, error: null, requested_at: at, finished_at: null },
        ],
      };
    case 'instance.backup_completed':
      return finishBackup(view, event.data.backup_id, {
        status: 'completed',
        location: event.data.location,
        size_bytes: event.data.size_bytes,
        finished_at: at,
      });
    case 'instance.backup_failed':
      return finishBackup(view, event.data.backup_id, { status: 'failed', error: event.data.error, finished_at: at });
    case 'instance.health_changed':
      return { health: event.data.health, health_reason: event.data.reason };
    default:
      return assertNever(event);
  }
};

/**
 * Folds one stored instance event into the view. Pure, so the projector and the API's
 * answers to writes (folded from the stream) share it.
 */
export const evolveInstanceView = (view: InstanceView | null, recorded: RecordedEvent): InstanceView | null => {
  const event = { type: recorded.type, data: recorded.data } as InstanceEvent;
  const at = recorded.metadata.occurred_at;
  if (event.type === 'instance.deploy_requested') {
    if (view) return view;
    return {
      id: event.data.instance_id,
      tenant: recorded.tenant,
      seq: recorded.position,
      revision: recorded.revision,
      position: recorded.position,
      name: event.data.name,
      provider: event.data.provider,
      ...lifecycleOf(evolveInstance(initialInstanceState(), event)),
      health: 'unknown',
      health_reason: null,
      spec: shownSpec(event.data.spec),
      skills: skillNames(event.data.spec),
      endpoint: null,
      agent: null,
      backups: [],
      last_error: null,
      created_at: at,
      updated_at: at,
    };
  }
  if (!view) return null;
  return {
    ...view,
    ...changesOf(view, event, at),
    ...lifecycleOf(evolveInstance(domainStateOf(view), event)),
    revision: recorded.revision,
    position: recorded.position,
    updated_at: at,
  };
};
