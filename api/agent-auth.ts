import type { Context, Next } from 'koa';
import type { CommandContext } from '../commands/command-context.js';
import { hashSecret } from '../commands/secrets.js';
import { findAgentCredential } from '../projections/agents/agent-credentials.js';
import type { ReadStore } from '../projections/read-store.js';
import type { Principal } from './auth.js';
import { requestCommandContext } from './command-context.js';
import { ApiError } from './errors.js';

/** The instance whose agent is calling, as established by its credential. */
export type AgentPrincipal = { readonly instanceId: string; readonly tenant: string };

const presentedCredential = (ctx: Context): string => {
  const match = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'));
  if (!match?.[1]) throw new ApiError('authentication_error', 'missing_credential', 'send the instance credential as "Authorization: Bearer <credential>"');
  return match[1];
};

/**
 * Agents authenticate with their instance credential; nothing else gets through. The
 * request then acts within the instance's team, as the instance.
 */
export const authenticateAgent = (readStore: ReadStore) => async (ctx: Context, next: Next) => {
  const credential = await findAgentCredential(readStore, hashSecret(presentedCredential(ctx)), 'credential');
  if (!credential) throw new ApiError('authentication_error', 'invalid_credential', 'the instance credential is not valid, or its instance was destroyed');
  const agent: AgentPrincipal = { instanceId: credential.instance_id, tenant: credential.tenant };
  ctx.state.agent = agent;
  // Idempotency keys and rate limits are per caller; for an agent the caller is its instance.
  ctx.state.principal = { tenant: agent.tenant, keyId: agent.instanceId, role: 'viewer', systemTeam: false } satisfies Principal;
  await next();
};

export const agentOf = (ctx: Context): AgentPrincipal => {
  const agent = ctx.state.agent as AgentPrincipal | undefined;
  if (!agent) throw new Error('route is not behind authenticateAgent()');
  return agent;
};

/** What an agent's request tells about who acts, for the events it causes: the instance. */
export const agentCommandContext = (ctx: Context, agent: AgentPrincipal): CommandContext =>
  requestCommandContext(ctx, agent.tenant, { type: 'agent', id: agent.instanceId });
