/**
 * The provider port: where an instance physically runs. The instance workflow's activities
 * call it; adapters live in `infra/providers/`. `local` (the embedded default) runs a
 * reference agent process on this machine. A Docker, Kubernetes or cloud adapter implements
 * the same contract (and passes `test/workflows/instance-provider.contract.ts`): it starts
 * something that runs an agent speaking docs/agent-api.md with the three enrolment inputs.
 *
 * Every method is idempotent, keyed by instance id: activities are retried, so a call may
 * repeat after it already took effect.
 */
import type { InstanceSpec } from '../domain/instance/index.js';

export type ProvisionRequest = {
  readonly instanceId: string;
  readonly tenant: string;
  readonly name: string;
  readonly spec: InstanceSpec;
  /** Where the agent reaches Bosun (`BOSUN_URL`). */
  readonly apiUrl: string;
  /** One-time enrolment token (`BOSUN_REGISTRATION_TOKEN`); an agent that already holds a credential ignores it. */
  readonly registrationToken: string;
};

export type Backup = {
  /** Where the provider keeps it (a path for `local`, a URL or snapshot id elsewhere). */
  readonly location: string;
  readonly sizeBytes: number;
};

export interface InstanceProvider {
  /** The `provider` field of instances this adapter serves, e.g. `local`. */
  readonly name: string;
  /**
   * Creates the instance and starts its agent. The agent's configuration is written from the
   * spec only when the instance has none yet: a retry must not erase what the agent changed
   * since. A call for a running instance does nothing, and so does one for a suspended
   * instance: only `resume` starts it again, so a late retry cannot undo a suspend.
   */
  provision(request: ProvisionRequest): Promise<{ readonly endpoint: string | null }>;
  /** Stops the agent, keeping the instance's state for a later resume; rejects for an unknown instance. */
  suspend(instanceId: string): Promise<void>;
  /** Starts the agent of a suspended instance again with its kept state (credential, configuration); rejects for an unknown instance. */
  resume(request: ProvisionRequest): Promise<void>;
  /**
   * Stops the agent process of a running instance and starts it again with its kept state
   * (credential, configuration). A retried call restarts it once more; rejects for an
   * unknown or suspended instance.
   */
  restart(request: ProvisionRequest): Promise<void>;
  /** Copies the instance's state somewhere durable; `backupId` names the copy, and the same id answers the same copy. Rejects for an unknown instance. */
  backup(instanceId: string, backupId: string): Promise<Backup>;
  /** Stops the agent and removes the instance; a missing instance is already destroyed. */
  destroy(instanceId: string): Promise<void>;
  /** Whether the instance's agent process (or machine) exists and runs; false for an unknown or destroyed instance. */
  isRunning(instanceId: string): Promise<boolean>;
  /** Releases what the adapter holds in this process (child processes stay as they are unless `stopAgents`). */
  close(options?: { readonly stopAgents?: boolean }): Promise<void>;
}
