import type Router from '@koa/router';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { eraseSubject } from '../../commands/privacy.js';
import { commandContextOf } from '../command-context.js';
import { allow } from '../permissions.js';
import { erasureBody } from '../privacy-openapi.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';

const validateErasure = validator<{ subject: string; reason?: string | null }>(erasureBody);

/** `POST /api/v1/privacy/erasures`: erasing a subject twice answers the first erasure, 200. */
export const privacyRoutes = (router: Router<BosunState>, deps: { readonly commands: CommandHandlerDeps }): void => {
  router.post('/privacy/erasures', allow('POST /api/v1/privacy/erasures'), async (ctx) => {
    const { subject, reason = null } = validateErasure(ctx.request.body);
    const { subjectRef, keyDeleted, result } = await eraseSubject(deps.commands, commandContextOf(ctx), { subject, reason });
    const recorded = result.position !== 0;
    ctx.status = recorded ? 201 : 200;
    ctx.body = { object: 'erasure', subject_ref: subjectRef, key_deleted: keyDeleted, erased: true, revision: result.revision, position: result.position };
  });
};
