import type { DomainEvent } from '../shared/decider.js';

export const instanceStatuses = ['provisioning', 'running', 'suspended', 'destroying', 'destroyed', 'failed'] as const;
export type InstanceStatus = (typeof instanceStatuses)[number];

/** From heartbeats; not a lifecycle state. */
export const healthStates = ['unknown', 'healthy', 'degraded', 'unhealthy'] as const;
export type Health = (typeof healthStates)[number];

/** What the operator wants the instance to be; drift is measured against it. */
export type InstanceSpec = {
  /** `enabled: false` declares a skill that must stay disabled; `parameters` are those it was installed with from the catalog. */
  readonly skills: readonly {
    readonly name: string;
    readonly version: string;
    readonly enabled?: boolean;
    readonly parameters?: Readonly<Record<string, unknown>>;
  }[];
  readonly runtime_version: string | null;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly resources: {
    readonly cpus: number | null;
    readonly memory_mb: number | null;
    readonly ports: readonly number[];
    readonly region: string | null;
  };
  readonly max_concurrent_tasks: number;
};

export type InstanceError = { readonly code: string; readonly message: string };

export type DeployRequested = DomainEvent<'instance.deploy_requested', { instance_id: string; name: string; provider: string; spec: InstanceSpec }>;
/** The provider is starting an agent that may enrol once with the token whose hash this is. */
export type RegistrationOpened = DomainEvent<'instance.registration_opened', { token_hash: string }>;
/** The agent enrolled: it authenticates from now on with the credential whose hash this is. */
export type AgentRegistered = DomainEvent<'instance.agent_registered', { credential_hash: string; agent_version: string; hostname: string | null }>;
export type Provisioned = DomainEvent<'instance.provisioned', { endpoint: string | null }>;
export type ProvisioningFailed = DomainEvent<'instance.provisioning_failed', { error: InstanceError }>;
export type SpecChanged = DomainEvent<'instance.spec_changed', { spec: InstanceSpec }>;
export type SuspendRequested = DomainEvent<'instance.suspend_requested', Record<string, never>>;
export type Suspended = DomainEvent<'instance.suspended', Record<string, never>>;
export type ResumeRequested = DomainEvent<'instance.resume_requested', Record<string, never>>;
export type Resumed = DomainEvent<'instance.resumed', Record<string, never>>;
export type DestroyRequested = DomainEvent<'instance.destroy_requested', { backup_first: boolean }>;
export type Destroyed = DomainEvent<'instance.destroyed', Record<string, never>>;
export type BackupRequested = DomainEvent<'instance.backup_requested', { backup_id: string }>;
export type BackupCompleted = DomainEvent<'instance.backup_completed', { backup_id: string; location: string; size_bytes: number }>;
export type BackupFailed = DomainEvent<'instance.backup_failed', { backup_id: string; error: InstanceError }>;
export type RestartRequested = DomainEvent<'instance.restart_requested', Record<string, never>>;
export type Restarted = DomainEvent<'instance.restarted', Record<string, never>>;
export type RestartFailed = DomainEvent<'instance.restart_failed', { error: InstanceError }>;
export type HealthChanged = DomainEvent<'instance.health_changed', { health: Health; reason: string }>;

export type InstanceEvent =
  | DeployRequested
  | RegistrationOpened
  | AgentRegistered
  | Provisioned
  | ProvisioningFailed
  | SpecChanged
  | SuspendRequested
  | Suspended
  | ResumeRequested
  | Resumed
  | DestroyRequested
  | Destroyed
  | BackupRequested
  | BackupCompleted
  | BackupFailed
  | RestartRequested
  | Restarted
  | RestartFailed
  | HealthChanged;

export const instanceEventTypes: readonly InstanceEvent['type'][] = [
  'instance.deploy_requested',
  'instance.registration_opened',
  'instance.agent_registered',
  'instance.provisioned',
  'instance.provisioning_failed',
  'instance.spec_changed',
  'instance.suspend_requested',
  'instance.suspended',
  'instance.resume_requested',
  'instance.resumed',
  'instance.destroy_requested',
  'instance.destroyed',
  'instance.backup_requested',
  'instance.backup_completed',
  'instance.backup_failed',
  'instance.restart_requested',
  'instance.restarted',
  'instance.restart_failed',
  'instance.health_changed',
];
