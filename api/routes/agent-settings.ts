import type Router from '@koa/router';
import { desiredSetting } from '../../commands/desired-settings.js';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { agentOf } from '../agent-auth.js';
import { notFound } from '../errors.js';
import { allow } from '../permissions.js';
import type { BosunState } from '../state.js';

/**
 * `GET /api/v1/agent/settings/:name`: the desired value of one of the calling instance's
 * settings. A remediation names the settings it sets; secret values travel only here, to
 * the authenticated agent of that instance, and are never written into a task or an event.
 */
export const agentSettingRoutes = (router: Router<BosunState>, deps: { readonly commands: CommandHandlerDeps }): void => {
  router.get('/settings/:name', allow('GET /api/v1/agent/settings/:name'), async (ctx) => {
    const agent = agentOf(ctx);
    const name = ctx.params.name ?? '';
    const setting = await desiredSetting(deps.commands, agent.instanceId, name);
    if (!setting.found) throw notFound('desired setting', name);
    ctx.body = { object: 'desired_setting', name, value: setting.value };
  });
};
