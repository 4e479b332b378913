import { driftDecider, type DriftCommand } from '../domain/drift/index.js';
import type { RecordedEvent } from '../events/event-store.js';
import { driftStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';

/** Every change of an instance's drift goes through here. */
export const executeDriftCommand = (deps: CommandHandlerDeps, ctx: CommandContext, instanceId: string, command: DriftCommand) =>
  handleCommand(deps, driftDecider, driftStream(instanceId), command, ctx);

/**
 * An operator's action on one drift event, conditional on that drift's own revision
 * (If-Match): snapshots and other drifts share its stream.
 */
export const executeDriftAction = (
  deps: CommandHandlerDeps,
  ctx: CommandContext,
  instanceId: string,
  command: DriftCommand,
  revisionOf: (history: readonly RecordedEvent[]) => number,
) => handleCommand(deps, driftDecider, driftStream(instanceId), command, ctx, { revisionOf });
