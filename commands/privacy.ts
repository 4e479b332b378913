import { privacyDecider } from '../domain/privacy/index.js';
import { privacyStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, type CommandHandlerDeps } from './handle-command.js';

/**
 * Erases a data subject of the team: its key is deleted first (the erasure holds even if
 * recording it fails, and recording it again is harmless), then the erasure is recorded.
 */
export const eraseSubject = async (deps: CommandHandlerDeps, ctx: CommandContext, request: { readonly subject: string; readonly reason: string | null }) => {
  const { subjectRef, keyDeleted } = await deps.personal.erase(ctx.tenant, request.subject);
  const result = await handleCommand(
    deps,
    privacyDecider,
    privacyStream(ctx.tenant),
    { type: 'EraseSubject', subjectRef, keyDeleted, reason: request.reason },
    ctx,
  );
  return { subjectRef, keyDeleted, result };
};
