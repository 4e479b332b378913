import { assertNever, replay, type Decider } from '../shared/decider.js';
import { DomainError, IllegalTransitionError, NotFoundError, RuleViolationError } from '../shared/errors.js';
import type { InstanceCommand, OperatorCommand } from './commands.js';
import type { InstanceEvent, InstanceStatus } from './events.js';
import { evolveInstance, initialInstanceState, type InstanceState } from './state.js';

type ExistingInstance = Exclude<InstanceState, { status: 'none' }>;
type Command = Exclude<InstanceCommand, { type: 'DeployInstance' }>;

/** The one table of which command each state allows; operator actions are listed by the API. */
const allowedFrom: Record<Command['type'], readonly InstanceStatus[]> = {
  ChangeSpec: ['provisioning', 'running', 'suspended'],
  SuspendInstance: ['running'],
  ResumeInstance: ['suspended'],
  DestroyInstance: ['running', 'suspended'],
  BackUpInstance: ['running', 'suspended'],
  RestartInstance: ['running'],
  OpenRegistration: ['provisioning'],
  RegisterAgent: ['provisioning'],
  MarkProvisioned: ['provisioning'],
  FailProvisioning: ['provisioning'],
  MarkSuspended: ['running'],
  MarkResumed: ['suspended'],
  MarkDestroyed: ['destroying'],
  // A destroy may overtake a restart in progress: its outcome is then nothing to record.
  MarkRestarted: ['running', 'destroying', 'destroyed'],
  FailRestart: ['running', 'destroying', 'destroyed'],
  CompleteBackup: ['running', 'suspended', 'destroying', 'destroyed'],
  FailBackup: ['running', 'suspended', 'destroying', 'destroyed'],
  ChangeHealth: ['provisioning', 'running', 'suspended'],
};

const actionNames: Record<InstanceCommand['type'], string> = {
  DeployInstance: 'deploy',
  ChangeSpec: 'change the spec of',
  SuspendInstance: 'suspend',
  ResumeInstance: 'resume',
  DestroyInstance: 'destroy',
  BackUpInstance: 'back up',
  RestartInstance: 'restart',
  OpenRegistration: 'open registration for',
  RegisterAgent: 'register an agent for',
  MarkProvisioned: 'mark provisioned',
  FailProvisioning: 'fail provisioning of',
  MarkSuspended: 'mark suspended',
  MarkResumed: 'mark resumed',
  MarkDestroyed: 'mark destroyed',
  MarkRestarted: 'mark restarted',
  FailRestart: 'fail the restart of',
  CompleteBackup: 'complete a backup of',
  FailBackup: 'fail a backup of',
  ChangeHealth: 'change the health of',
};

const operatorActions = {
  ChangeSpec: 'change_spec',
  SuspendInstance: 'suspend',
  ResumeInstance: 'resume',
  DestroyInstance: 'destroy',
  BackUpInstance: 'backup',
  RestartInstance: 'restart',
} as const satisfies Record<OperatorCommand['type'], string>;

export type OperatorAction = (typeof operatorActions)[OperatorCommand['type']];

/** Every operator action, allowed now or not, for `GET /instances/:id/lifecycle`. */
export const operatorActionNames: readonly OperatorAction[] = Object.values(operatorActions);

/** Suspend, resume and restart wait for the workflow to finish the one already requested. */
const blockedByPending = new Set<Command['type']>(['SuspendInstance', 'ResumeInstance', 'RestartInstance']);

const describeState = (instance: ExistingInstance): string => (instance.pending ? `${instance.status} (${instance.pending} pending)` : instance.status);

const isAllowed = (type: Command['type'], instance: ExistingInstance): boolean =>
  allowedFrom[type].includes(instance.status) && !(blockedByPending.has(type) && instance.pending !== null);

/** Operator actions allowed now, for `GET /instances/:id/lifecycle`. */
export const instanceActionsAllowed = (state: InstanceState): OperatorAction[] =>
  state.status === 'none'
    ? []
    : (Object.keys(operatorActions) as OperatorCommand['type'][]).filter((type) => isAllowed(type, state)).map((type) => operatorActions[type]);

const requireAllowed = (command: Command, state: InstanceState): ExistingInstance => {
  if (state.status === 'none') throw new NotFoundError('instance');
  if (!isAllowed(command.type, state)) throw new IllegalTransitionError('instance', describeState(state), actionNames[command.type]);
  return state;
};

/** Id of the backup taken before a destroy that asked for one. */
export const finalBackupId = 'before-destroy';

const requireBackupInProgress = (instance: ExistingInstance, backupId: string): void => {
  if (!instance.backupsInProgress.has(backupId)) {
    throw new RuleViolationError('unknown_backup', `backup ${backupId} is not in progress`, 'backup_id');
  }
};

const requirePositiveSlots = (slots: number): void => {
  if (!Number.isInteger(slots) || slots < 1) {
    throw new RuleViolationError('invalid_spec', 'max_concurrent_tasks must be a positive whole number', 'spec.max_concurrent_tasks');
  }
};

export const decideInstance = (command: InstanceCommand, state: InstanceState): InstanceEvent[] => {
  if (command.type === 'DeployInstance') {
    if (state.status !== 'none') throw new IllegalTransitionError('instance', describeState(state), actionNames.DeployInstance);
    requirePositiveSlots(command.spec.max_concurrent_tasks);
    return [
      {
        type: 'instance.deploy_requested',
        data: { instance_id: command.instanceId, name: command.name, provider: command.provider, spec: command.spec },
      },
    ];
  }
  const instance = requireAllowed(command, state);
  switch (command.type) {
    case 'ChangeSpec':
      requirePositiveSlots(command.spec.max_concurrent_tasks);
      return [{ type: 'instance.spec_changed', data: { spec: command.spec } }];
    case 'SuspendInstance':
      return [{ type: 'instance.suspend_requested', data: {} }];
    case 'ResumeInstance':
      return [{ type: 'instance.resume_requested', data: {} }];
    case 'DestroyInstance':
      // The backup is requested with the destroy, so it is taken (and recorded) before anything is removed.
      return [
        ...(command.backupFirst ? [{ type: 'instance.backup_requested' as const, data: { backup_id: finalBackupId } }] : []),
        { type: 'instance.destroy_requested', data: { backup_first: command.backupFirst } },
      ];
    case 'BackUpInstance':
      if (instance.backupIds.has(command.backupId)) {
        throw new RuleViolationError('duplicate_backup', `backup ${command.backupId} was already requested`, 'backup_id');
      }
      return [{ type: 'instance.backup_requested', data: { backup_id: command.backupId } }];
    case 'OpenRegistration':
      return [{ type: 'instance.registration_opened', data: { token_hash: command.tokenHash } }];
    case 'RegisterAgent':
      if (instance.registrationTokenHash === null || instance.registrationTokenHash !== command.tokenHash) {
        throw new RuleViolationError(
          'invalid_registration_token',
          'the registration token is not valid for this instance, or was already used',
          'registration_token',
        );
      }
      return [
        {
          type: 'instance.agent_registered',
          data: { credential_hash: command.credentialHash, agent_version: command.agentVersion, hostname: command.hostname },
        },
        { type: 'instance.provisioned', data: { endpoint: null } },
      ];
    case 'MarkProvisioned':
      return [{ type: 'instance.provisioned', data: { endpoint: command.endpoint } }];
    case 'FailProvisioning':
      return [{ type: 'instance.provisioning_failed', data: { error: command.error } }];
    case 'MarkSuspended':
      if (instance.pending !== 'suspend') throw new IllegalTransitionError('instance', describeState(instance), actionNames.MarkSuspended);
      return [{ type: 'instance.suspended', data: {} }];
    case 'MarkResumed':
      if (instance.pending !== 'resume') throw new IllegalTransitionError('instance', describeState(instance), actionNames.MarkResumed);
      return [{ type: 'instance.resumed', data: {} }];
    case 'MarkDestroyed':
      return [{ type: 'instance.destroyed', data: {} }];
    case 'RestartInstance':
      return [{ type: 'instance.restart_requested', data: {} }];
    // Recorded once: a retried report, or one for a restart a destroy overtook, records nothing.
    case 'MarkRestarted':
      return instance.pending === 'restart' ? [{ type: 'instance.restarted', data: {} }] : [];
    case 'FailRestart':
      return instance.pending === 'restart' ? [{ type: 'instance.restart_failed', data: { error: command.error } }] : [];
    case 'CompleteBackup':
      requireBackupInProgress(instance, command.backupId);
      return [{ type: 'instance.backup_completed', data: { backup_id: command.backupId, location: command.location, size_bytes: command.sizeBytes } }];
    case 'FailBackup':
      requireBackupInProgress(instance, command.backupId);
      return [{ type: 'instance.backup_failed', data: { backup_id: command.backupId, error: command.error } }];
    case 'ChangeHealth':
      // A suspended agent is stopped on purpose: its silence is not a loss.
      if (command.health === 'unhealthy' && (instance.status === 'suspended' || instance.pending === 'suspend')) return [];
      // Repeated heartbeats with the same health record nothing.
      return instance.health === command.health ? [] : [{ type: 'instance.health_changed', data: { health: command.health, reason: command.reason } }];
    default:
      return assertNever(command);
  }
};

export const instanceDecider: Decider<InstanceCommand, InstanceEvent, InstanceState> = {
  decide: decideInstance,
  evolve: evolveInstance,
  initialState: initialInstanceState,
};

export const replayInstance = (events: readonly InstanceEvent[]): InstanceState => replay(instanceDecider, events);

/**
 * Why `command` is refused for the instance `history` leaves, or null when it is not: what
 * deciding it then would have thrown. Errors that are not the domain's are thrown.
 */
export const instanceCommandRefusal = (command: InstanceCommand, history: readonly InstanceEvent[]): DomainError | null => {
  try {
    decideInstance(command, replayInstance(history));
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
};
