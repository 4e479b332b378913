import { internalContext, type CommandContext } from '../commands/command-context.js';
import type { CommandResult } from '../commands/handle-command.js';
import { DomainError } from '../domain/shared/errors.js';
import type { Written } from './signals.js';

/** What a workflow's activity tells about who acts: the workflow, on behalf of a tenant. */
export const workflowContext = (tenant: string, workflowId: string, correlationId: string): CommandContext =>
  internalContext({ tenant, actor: { type: 'workflow', id: workflowId }, correlationId });

/**
 * Runs a command an activity issues. Activities are retried, and the world moves on
 * meanwhile (a cancel, an agent's acknowledgement): a command the aggregate refuses now
 * is no longer needed, so it is reported as "nothing written" instead of failing the
 * activity forever.
 */
export const issue = async (command: () => Promise<CommandResult<unknown>>): Promise<Written> => {
  try {
    const result = await command();
    return { revision: result.position === 0 ? null : result.revision };
  } catch (error) {
    if (error instanceof DomainError) return { revision: null };
    throw error;
  }
};
