import type Router from '@koa/router';
import type Koa from 'koa';
import type { Middleware } from 'koa';
import { roleAtLeast, type Role } from '../domain/team/events.js';
import { principalOf } from './auth.js';
import { ApiError } from './errors.js';
import { streamCollections, type StreamCollection } from './stream-resources.js';

/** `GET /api/v1/<collection>/:id/history` of every resource that has a stream: read by whoever reads the resource. */
const historyRoutes = Object.fromEntries(streamCollections.map((collection) => [`GET /api/v1/${collection}/:id/history`, 'viewer'])) as Record<
  `GET /api/v1/${StreamCollection}/:id/history`,
  'viewer'
>;

/**
 * Who may call a route: `public` needs no key; a role is the least a key of the caller's
 * team must have (`auditor`: an auditor or an admin, see roleAtLeast); `system_admin` is an admin of the system team (created at first start);
 * `agent` is an agent authenticated by its instance credentials (the agent router's own).
 */
export type Access = 'public' | Role | 'system_admin' | 'agent';

/**
 * Every route of the API and the least it takes to call it: the one place permissions
 * are decided. Routes name their entry with {@link allow}; a test checks that each route
 * registered has one, and each entry a route.
 */
export const routePermissions = {
  'GET /health': 'public',
  'GET /version': 'public',
  'GET /ready': 'public',
  'GET /metrics': 'public',
  'GET /api/v1/openapi.json': 'public',
  'GET /api/v1/asyncapi.json': 'public',
  'GET /api/v1/event-schemas': 'viewer',
  'GET /api/v1/events': 'viewer',
  ...historyRoutes,

  'POST /api/v1/tasks': 'developer',
  'GET /api/v1/tasks': 'viewer',
  'GET /api/v1/tasks/:id': 'viewer',
  'POST /api/v1/tasks/:id/cancel': 'developer',
  'POST /api/v1/tasks/:id/rerun': 'developer',
  'GET /api/v1/tasks/:id/events': 'viewer',
  'GET /api/v1/tasks/:id/result': 'viewer',

  'POST /api/v1/instances': 'operator',
  'GET /api/v1/instances': 'viewer',
  'GET /api/v1/instances/:id': 'viewer',
  'PATCH /api/v1/instances/:id': 'operator',
  'GET /api/v1/instances/:id/lifecycle': 'viewer',
  'GET /api/v1/instances/:id/metrics': 'viewer',
  'GET /api/v1/instances/:id/snapshots': 'viewer',
  'POST /api/v1/instances/:id/suspend': 'operator',
  'POST /api/v1/instances/:id/resume': 'operator',
  'POST /api/v1/instances/:id/restart': 'operator',
  'POST /api/v1/instances/:id/destroy': 'operator',
  'POST /api/v1/instances/:id/backup': 'operator',
  'POST /api/v1/instances/bulk': 'operator',

  'GET /api/v1/drift-events': 'viewer',
  'GET /api/v1/drift-events/:id': 'viewer',
  'POST /api/v1/drift-events/:id/remediation/approve': 'operator',
  'POST /api/v1/drift-events/:id/remediation/execute': 'operator',
  'POST /api/v1/drift-events/:id/dismiss': 'operator',
  'GET /api/v1/drift/summary': 'viewer',
  'GET /api/v1/fleet/stats': 'viewer',
  'GET /api/v1/instances/:id/security-score': 'viewer',
  // Public only when the instance's team publishes its badges; 404 otherwise.
  'GET /api/v1/badges/instances/:id/security-score.svg': 'public',
  'GET /api/v1/badges/instances/:id/security-score.json': 'public',

  'GET /api/v1/alerts': 'viewer',
  'GET /api/v1/alerts/summary': 'viewer',
  'POST /api/v1/alerts/acknowledge': 'operator',
  'POST /api/v1/alerts/resolve': 'operator',
  'GET /api/v1/alerts/:id': 'viewer',
  'POST /api/v1/alerts/:id/acknowledge': 'operator',
  'POST /api/v1/alerts/:id/resolve': 'operator',

  'POST /api/v1/webhooks': 'admin',
  'GET /api/v1/webhooks': 'viewer',
  'GET /api/v1/webhooks/:id': 'viewer',
  'PATCH /api/v1/webhooks/:id': 'admin',
  'DELETE /api/v1/webhooks/:id': 'admin',
  'POST /api/v1/webhooks/:id/enable': 'admin',
  'POST /api/v1/webhooks/:id/disable': 'admin',
  'POST /api/v1/webhooks/:id/rotate-secret': 'admin',
  'POST /api/v1/webhooks/:id/ping': 'operator',
  'GET /api/v1/webhooks/:id/deliveries': 'viewer',
  'GET /api/v1/webhooks/:id/deliveries/:delivery_id': 'viewer',
  'POST /api/v1/webhooks/:id/deliveries/:delivery_id/redeliver': 'operator',
  'GET /api/v1/task-callbacks/secret': 'admin',
  'GET /api/v1/alert-rules': 'viewer',
  'POST /api/v1/alert-rules': 'operator',
  'GET /api/v1/alert-rules/:id': 'viewer',
  'PATCH /api/v1/alert-rules/:id': 'operator',
  'POST /api/v1/alert-rules/:id/enable': 'operator',
  'POST /api/v1/alert-rules/:id/disable': 'operator',
  'DELETE /api/v1/alert-rules/:id': 'operator',
  'POST /api/v1/skills': 'developer',
  'GET /api/v1/skills': 'viewer',
  'GET /api/v1/skills/:name': 'viewer',
  'GET /api/v1/skills/:name/versions/:version': 'viewer',
  'POST /api/v1/skills/:name/versions/:version/deprecate': 'developer',
  'POST /api/v1/instances/:id/skills': 'operator',
  'DELETE /api/v1/instances/:id/skills/:name': 'operator',
  // Answered only for teams whose policy says `public_skill_catalog`; 404 for any other.
  'GET /api/v1/public/teams/:team_id/skills': 'public',
  'GET /api/v1/public/teams/:team_id/skills/:name': 'public',

  'POST /api/v1/privacy/erasures': 'admin',

  'GET /api/v1/team': 'viewer',
  'GET /api/v1/team/policy': 'viewer',
  'PUT /api/v1/team/policy': 'admin',
  'GET /api/v1/api-keys': 'admin',
  'POST /api/v1/api-keys': 'admin',
  'GET /api/v1/api-keys/:id': 'admin',
  'PATCH /api/v1/api-keys/:id': 'admin',
  'DELETE /api/v1/api-keys/:id': 'admin',
  'POST /api/v1/api-keys/:id/revoke': 'admin',
  'POST /api/v1/api-keys/:id/rotate': 'admin',
  'GET /api/v1/me': 'viewer',
  'POST /api/v1/teams': 'system_admin',
  'GET /api/v1/teams': 'system_admin',
  'PATCH /api/v1/teams/:id': 'system_admin',
  'GET /api/v1/audit-logs': 'auditor',
  'GET /api/v1/audit-logs/export': 'auditor',

  'GET /api/v1/system/projections': 'system_admin',
  'POST /api/v1/system/projections/:name/rebuild': 'system_admin',
  'POST /api/v1/system/projections/verify': 'system_admin',

  'POST /api/v1/agent/register': 'agent',
  'POST /api/v1/agent/heartbeat': 'agent',
  'POST /api/v1/agent/tasks/claim': 'agent',
  'POST /api/v1/agent/tasks/:id/ack': 'agent',
  'POST /api/v1/agent/tasks/:id/progress': 'agent',
  'POST /api/v1/agent/tasks/:id/complete': 'agent',
  'POST /api/v1/agent/tasks/:id/fail': 'agent',
  'GET /api/v1/agent/settings/:name': 'agent',
} as const satisfies Record<string, Access>;

export type RouteKey = keyof typeof routePermissions;

/** Whether a caller with `role`, of the system team or not, passes `access` (keyed routes only). */
export const permits = (access: Access, role: Role, systemTeam: boolean): boolean => {
  if (access === 'public' || access === 'agent') return true;
  if (access === 'system_admin') return systemTeam && role === 'admin';
  return roleAtLeast(role, access);
};

/** A route's permission middleware; `route` lets a test match it to the route it guards. */
export type AllowMiddleware = Middleware & { readonly route: RouteKey; readonly access: Access };

/**
 * The first middleware of every route: refuses a key whose role is below the route's
 * entry in {@link routePermissions}. Authentication (an API key, or an agent's
 * credentials) has already run; ownership of an `:id` is checked before this (404 before
 * 403: a role never learns what another team has).
 */
export const allow = (route: RouteKey): AllowMiddleware => {
  const access: Access = routePermissions[route];
  const middleware = async (ctx: Parameters<Middleware>[0], next: Parameters<Middleware>[1]) => {
    if (access !== 'public' && access !== 'agent') {
      const principal = principalOf(ctx);
      if (!permits(access, principal.role, principal.systemTeam)) {
        const needs = access === 'system_admin' ? 'an admin key of the system team' : access === 'auditor' ? 'the auditor or admin role' : `the ${access} role`;
        throw new ApiError('permission_error', 'insufficient_role', `this action needs ${needs}; the API key has ${principal.role}`);
      }
    }
    await next();
  };
  return Object.assign(middleware, { route, access });
};

/** A route as the app serves it, with the permission middleware it names, if any. */
export type RegisteredRoute = { readonly method: string; readonly path: string; readonly allowed: AllowMiddleware | null };

const isAllow = (middleware: unknown): middleware is AllowMiddleware => typeof middleware === 'function' && 'route' in middleware && 'access' in middleware;

/** Every route of every router the app uses (HEAD, answered by GET, left out). */
export const registeredRoutes = (app: Koa): RegisteredRoute[] =>
  app.middleware
    .flatMap((middleware) => (middleware as { router?: Router }).router?.stack ?? [])
    .flatMap((layer) =>
      layer.methods.filter((method) => method !== 'HEAD').map((method) => ({ method, path: String(layer.path), allowed: layer.stack.find(isAllow) ?? null })),
    );
