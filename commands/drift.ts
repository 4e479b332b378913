import { driftDecider, type DriftCommand } from '../domain/drift/index.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';

/** One drift stream per instance: its recorded snapshots and its successive drifts. */
export const driftStream = (instanceId: string): string => `drift-${instanceId}`;
export const instanceIdOfDriftStream = (stream: string): string => stream.slice('drift-'.length);

/** Every change of an instance's drift goes through here. */
export const executeDriftCommand = (deps: CommandHandlerDeps, ctx: CommandContext, instanceId: string, command: DriftCommand) =>
  handleCommand(deps, driftDecider, driftStream(instanceId), command, ctx);
