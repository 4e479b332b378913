import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { executeInstanceCommand } from '../../commands/instances.js';
import type { InstanceCommand } from '../../domain/instance/index.js';
import { instanceStream } from '../../events/streams.js';
import type { TestBosun } from './harness.js';

/**
 * Moves instances as the instance workflow will, through the command layer: no workflow
 * runs in the test setup. Each command acts in the instance's own team.
 */
export const instanceDriver = (app: TestBosun) => {
  const deps: CommandHandlerDeps = app.bosun.commands;
  const execute = async (instanceId: string, command: Exclude<InstanceCommand, { type: 'DeployInstance' }>) => {
    const [deployed] = await app.bosun.events.readStream(instanceStream(instanceId), { maxCount: 1 });
    if (!deployed) throw new Error(`no instance ${instanceId}`);
    const ctx = {
      tenant: deployed.tenant,
      actor: { type: 'workflow' as const, id: `instance-workflow-${instanceId}` },
      requestId: null,
      correlationId: instanceId,
      causationId: null,
      clientIp: null,
      userAgent: null,
    };
    return executeInstanceCommand(deps, ctx, instanceId, command);
  };
  return {
    execute,
    /** Provisioned: `running`. */
    provision: (instanceId: string) => execute(instanceId, { type: 'MarkProvisioned', endpoint: 'http://127.0.0.1:9000' }),
  };
};
