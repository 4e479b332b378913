import { replayInstance, type InstanceEvent } from '../domain/instance/index.js';
import { instanceStream } from '../events/streams.js';
import { toDomainEvent, type CommandHandlerDeps } from './handle-command.js';

/**
 * The value the instance's desired spec holds for setting `name`, secret or not, opened;
 * `found: false` when the spec has no such setting. Remediation plans and tasks only name
 * settings: the agent applying one asks for the value here.
 */
export const desiredSetting = async (deps: CommandHandlerDeps, instanceId: string, name: string): Promise<{ found: boolean; value: unknown }> => {
  const history = await deps.store.readStream(instanceStream(instanceId));
  const instance = replayInstance(history.map((event) => toDomainEvent<InstanceEvent>(event)));
  if (instance.status === 'none' || !Object.hasOwn(instance.spec.settings, name)) return { found: false, value: null };
  return { found: true, value: await deps.secrets.open(history[0]!.tenant, name, instance.spec.settings[name]) };
};
