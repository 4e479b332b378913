import type { Health, InstanceError, InstanceSpec } from './events.js';

/** Asked for by operators through the API. */
export type DeployInstance = {
  readonly type: 'DeployInstance';
  readonly instanceId: string;
  readonly name: string;
  readonly provider: string;
  readonly spec: InstanceSpec;
};
export type ChangeSpec = { readonly type: 'ChangeSpec'; readonly spec: InstanceSpec };
export type SuspendInstance = { readonly type: 'SuspendInstance' };
export type ResumeInstance = { readonly type: 'ResumeInstance' };
export type DestroyInstance = { readonly type: 'DestroyInstance'; readonly backupFirst: boolean };
export type BackUpInstance = { readonly type: 'BackUpInstance'; readonly backupId: string };
/** Stops the agent process of a running instance and starts it again. */
export type RestartInstance = { readonly type: 'RestartInstance' };

/** Issued by the instance workflow before the provider starts the agent. */
export type OpenRegistration = { readonly type: 'OpenRegistration'; readonly tokenHash: string };
/** The agent enrols with its one-time token; the instance is up once it has. */
export type RegisterAgent = {
  readonly type: 'RegisterAgent';
  readonly tokenHash: string;
  readonly credentialHash: string;
  readonly agentVersion: string;
  readonly hostname: string | null;
};

/** Reported by the instance workflow once the provider has acted. */
export type MarkProvisioned = { readonly type: 'MarkProvisioned'; readonly endpoint: string | null };
export type FailProvisioning = { readonly type: 'FailProvisioning'; readonly error: InstanceError };
export type MarkSuspended = { readonly type: 'MarkSuspended' };
export type MarkResumed = { readonly type: 'MarkResumed' };
export type MarkDestroyed = { readonly type: 'MarkDestroyed' };
export type MarkRestarted = { readonly type: 'MarkRestarted' };
export type FailRestart = { readonly type: 'FailRestart'; readonly error: InstanceError };
export type CompleteBackup = { readonly type: 'CompleteBackup'; readonly backupId: string; readonly location: string; readonly sizeBytes: number };
export type FailBackup = { readonly type: 'FailBackup'; readonly backupId: string; readonly error: InstanceError };
/** From heartbeats (or their absence). */
export type ChangeHealth = { readonly type: 'ChangeHealth'; readonly health: Health; readonly reason: string };

export type OperatorCommand = ChangeSpec | SuspendInstance | ResumeInstance | DestroyInstance | BackUpInstance | RestartInstance;

export type InstanceCommand =
  | DeployInstance
  | OperatorCommand
  | OpenRegistration
  | RegisterAgent
  | MarkProvisioned
  | FailProvisioning
  | MarkSuspended
  | MarkResumed
  | MarkDestroyed
  | MarkRestarted
  | FailRestart
  | CompleteBackup
  | FailBackup
  | ChangeHealth;
