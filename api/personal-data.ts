import type { Context, Next } from 'koa';
import type { PersonalData } from '../commands/personal-data.js';
import type { BosunState } from './state.js';

/**
 * The one place personal data is revealed: every JSON answer, after its route, has the
 * caller's team's erasable tokens opened (or shown as erased). Streamed answers reveal
 * each item as they write it (`routes/events.ts`).
 */
export const revealPersonalData = (personal: PersonalData) => async (ctx: Context, next: Next) => {
  await next();
  const tenant = (ctx.state as BosunState).principal?.tenant;
  const body: unknown = ctx.body;
  if (tenant === undefined || typeof body !== 'object' || body === null || Buffer.isBuffer(body) || typeof (body as { pipe?: unknown }).pipe === 'function')
    return;
  ctx.body = await personal.reveal(body, tenant);
};
