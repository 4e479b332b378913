import { alertDecider, type AlertCommand, type RaiseAlert } from '../domain/alert/index.js';
import { alertStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';

export const raiseAlert = (deps: CommandHandlerDeps, ctx: CommandContext, command: RaiseAlert) =>
  handleCommand(deps, alertDecider, alertStream(command.alertId), command, ctx);

/** Acknowledging and resolving go through here. */
export const executeAlertCommand = (deps: CommandHandlerDeps, ctx: CommandContext, alertId: string, command: Exclude<AlertCommand, { type: 'RaiseAlert' }>) =>
  handleCommand(deps, alertDecider, alertStream(alertId), command, ctx);
