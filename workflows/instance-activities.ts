/**
 * Activities of the instance workflow: they act through the provider port, then record
 * what happened as commands. Provider calls are idempotent, so a retried activity is safe.
 */
import type { CommandHandlerDeps } from '../commands/handle-command.js';
import { executeInstanceCommand } from '../commands/instances.js';
import { generateSecret, hashSecret } from '../commands/secrets.js';
import { executeTaskCommand } from '../commands/tasks.js';
import { replayInstance, type InstanceCommand, type InstanceEvent } from '../domain/instance/index.js';
import { instanceStream } from '../events/streams.js';
import type { ReadStore } from '../projections/read-store.js';
import { taskCollection } from '../projections/tasks/task-projector.js';
import { issue, workflowContext } from './activity-context.js';
import type { InstanceProvider, ProvisionRequest } from './instance-provider.js';
import type { Written } from './signals.js';

export type InstanceActivityDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly providers: ReadonlyMap<string, InstanceProvider>;
  /** Where agents reach Bosun. */
  readonly apiUrl: string;
};

type InstanceRef = { readonly instanceId: string; readonly tenant: string; readonly correlationId: string };

const errorOf = (error: unknown) => ({ code: 'provider_error', message: error instanceof Error ? error.message : String(error) });

export const createInstanceActivities = (deps: InstanceActivityDeps) => {
  const contextOf = (ref: InstanceRef) => workflowContext(ref.tenant, instanceStream(ref.instanceId), ref.correlationId);
  const command = (ref: InstanceRef, body: Exclude<InstanceCommand, { type: 'DeployInstance' }>) =>
    issue(() => executeInstanceCommand(deps.commands, contextOf(ref), ref.instanceId, body));

  /** The deploy request and current spec from the instance's stream, secret settings opened for the provider. */
  const loadInstance = async (instanceId: string) => {
    const recorded = await deps.commands.store.readStream(instanceStream(instanceId));
    const history = recorded.map((event) => ({ type: event.type, data: event.data }) as InstanceEvent);
    const deployed = history.find((event) => event.type === 'instance.deploy_requested');
    if (!deployed || deployed.type !== 'instance.deploy_requested') throw new Error(`instance ${instanceId} has no deploy request`);
    const replayed = replayInstance(history);
    if (replayed.status === 'none') throw new Error(`instance ${instanceId} does not exist`);
    const provider = deps.providers.get(deployed.data.provider);
    if (!provider) throw new Error(`instance ${instanceId}: no provider named ${deployed.data.provider}`);
    const state = { ...replayed, spec: await deps.commands.secrets.openSpec(recorded[0]!.tenant, replayed.spec) };
    return { provider, name: deployed.data.name, state };
  };

  const provisionRequest = (ref: InstanceRef, name: string, spec: ProvisionRequest['spec'], registrationToken: string): ProvisionRequest => ({
    instanceId: ref.instanceId,
    tenant: ref.tenant,
    name,
    spec,
    apiUrl: deps.apiUrl,
    registrationToken,
  });

  return {
    /** Opens a one-time registration and has the provider start the agent with it. */
    async provisionInstance(ref: InstanceRef): Promise<Written> {
      const { provider, name, state } = await loadInstance(ref.instanceId);
      // A retry after the agent started must not replace the token it enrols with.
      if (state.status !== 'provisioning' || (await provider.isRunning(ref.instanceId))) return { revision: null };
      const token = generateSecret('bsr');
      const opened = await command(ref, { type: 'OpenRegistration', tokenHash: hashSecret(token) });
      try {
        await provider.provision(provisionRequest(ref, name, state.spec, token));
      } catch (error) {
        return command(ref, { type: 'FailProvisioning', error: errorOf(error) });
      }
      return opened;
    },

    async failProvisioning(ref: InstanceRef & { readonly reason: string }): Promise<Written> {
      const { provider } = await loadInstance(ref.instanceId);
      await provider.destroy(ref.instanceId);
      return command(ref, { type: 'FailProvisioning', error: { code: 'provisioning_timeout', message: ref.reason } });
    },

    async suspendInstance(ref: InstanceRef): Promise<Written> {
      const { provider } = await loadInstance(ref.instanceId);
      await provider.suspend(ref.instanceId);
      return command(ref, { type: 'MarkSuspended' });
    },

    async resumeInstance(ref: InstanceRef): Promise<Written> {
      const { provider, name, state } = await loadInstance(ref.instanceId);
      // The agent already holds its credential: the token is never used, so none is recorded.
      await provider.resume(provisionRequest(ref, name, state.spec, ''));
      return command(ref, { type: 'MarkResumed' });
    },

    async restartInstance(ref: InstanceRef): Promise<Written> {
      const { provider, name, state } = await loadInstance(ref.instanceId);
      try {
        // The agent keeps its credential: no registration token.
        await provider.restart(provisionRequest(ref, name, state.spec, ''));
        return command(ref, { type: 'MarkRestarted' });
      } catch (error) {
        return command(ref, { type: 'FailRestart', error: errorOf(error) });
      }
    },

    async backUpInstance(ref: InstanceRef & { readonly backupId: string }): Promise<Written> {
      const { provider } = await loadInstance(ref.instanceId);
      try {
        const backup = await provider.backup(ref.instanceId, ref.backupId);
        return command(ref, { type: 'CompleteBackup', backupId: ref.backupId, location: backup.location, sizeBytes: backup.sizeBytes });
      } catch (error) {
        return command(ref, { type: 'FailBackup', backupId: ref.backupId, error: errorOf(error) });
      }
    },

    async destroyInstance(ref: InstanceRef): Promise<Written> {
      const { provider } = await loadInstance(ref.instanceId);
      await provider.destroy(ref.instanceId);
      return command(ref, { type: 'MarkDestroyed' });
    },

    /**
     * The agent is gone (missed heartbeats, suspended, destroyed): tasks handed to it are
     * requeued, and runs in progress fail as retryable, so the retry policy decides.
     */
    async failOverTasks(ref: InstanceRef & { readonly reason: string }): Promise<number> {
      const tasks = taskCollection(deps.readStore);
      const ctx = contextOf(ref);
      let moved = 0;
      for (const status of ['queued', 'running'] as const) {
        for (const task of await tasks.list({ tenant: ref.tenant, instance_id: ref.instanceId, status }, { limit: 1000 })) {
          const written = await issue(() =>
            executeTaskCommand(
              deps.commands,
              ctx,
              task.id,
              status === 'queued'
                ? { type: 'RequeueTask', reason: ref.reason }
                : { type: 'FailTask', error: { code: 'agent_lost', message: ref.reason }, retryable: true },
            ),
          );
          if (written.revision !== null) moved++;
        }
      }
      return moved;
    },
  };
};

export type InstanceActivities = ReturnType<typeof createInstanceActivities>;
