import { driftDecider, type DriftCommand } from '../domain/drift/index.js';
import { driftStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';

/** Every change of an instance's drift goes through here. */
export const executeDriftCommand = (deps: CommandHandlerDeps, ctx: CommandContext, instanceId: string, command: DriftCommand) =>
  handleCommand(deps, driftDecider, driftStream(instanceId), command, ctx);
