import t from 'tap';
import { permits, routePermissions, type Access, type RegisteredRoute } from '../../api/permissions.js';
import { roles, type Role } from '../../domain/team/events.js';
import { driftDriver } from './drift-driver.js';
import { createOtherTeam, startTestBosun, type TestBosun } from './harness.js';
import { instanceDriver } from './instance-driver.js';

/** Status and body of a call; streams are read for a moment and then let go. */
const callAs = async (app: TestBosun, key: string, method: string, path: string): Promise<{ status: number; body: string }> => {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 1500);
  try {
    const response = await fetch(`${app.bosun.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(['POST', 'PUT', 'PATCH'].includes(method) ? { body: '{}' } : {}),
      signal: abort.signal,
    });
    const body = await response.text().catch(() => '');
    return { status: response.status, body };
  } finally {
    clearTimeout(timer);
  }
};

const keyOf = async (app: TestBosun, role: Role, as?: string): Promise<string> => {
  const issued = await app.call('POST', '/api/v1/api-keys', { body: { name: `${role}-key`, role }, ...(as ? { key: as } : {}) });
  if (issued.status !== 201) throw new Error(`issuing a ${role} key answered ${issued.status}`);
  return issued.body.key as string;
};

const keyed = (route: RegisteredRoute) => {
  const access = routePermissions[`${route.method} ${route.path}` as keyof typeof routePermissions] as Access | undefined;
  return access !== undefined && access !== 'public' && access !== 'agent';
};

t.test('every route declares who may call it, and the table holds for every role and for another team', async (t) => {
  const app = await startTestBosun({ alertEvaluationMs: 50 });
  t.teardown(app.stop);
  const routes = app.bosun.routes;

  t.test('each route names its own entry of the permission table, and each entry is a route', async (t) => {
    const undeclared = routes.filter((route) => route.allowed?.route !== `${route.method} ${route.path}`).map((route) => `${route.method} ${route.path}`);
    t.same(undeclared, [], 'no route without allow() of its own entry');
    const served = new Set(routes.map((route) => `${route.method} ${route.path}`));
    t.same(
      Object.keys(routePermissions).filter((entry) => !served.has(entry)),
      [],
      'no entry without a route',
    );
  });

  // Given the system team's resources of every kind a route names by :id...
  const drift = driftDriver(app);
  const agent = await drift.enrol(undefined, 'guarded');
  await agent.heartbeat({
    provider: 'local',
    runtime_version: '1.0.0',
    skills: [],
    settings: {},
    resources: { cpus: 1, memory_mb: 1, open_ports: [], region: null },
  });
  await instanceDriver(app).execute(agent.instanceId, { type: 'ChangeHealth', health: 'unhealthy', reason: 'no heartbeat for 15 s' });
  // A rule of the team that the silent agent trips within a second, raising an alert.
  const silence = await app.call('POST', '/api/v1/alert-rules', {
    body: { name: 'guarded silence', condition: { kind: 'no_heartbeat', seconds: 1 }, severity: 'high' },
  });
  await drift.settle();
  const idOf = async (path: string) => {
    for (let waited = 0; waited < 5000; waited += 50) {
      const [first] = (await app.call('GET', path)).body.data;
      if (first) return first.id as string;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`nothing listed at ${path}`);
  };
  const ids: Record<string, string> = {
    tasks: (await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { owner: 'system-team' } } })).body.id,
    instances: agent.instanceId,
    'drift-events': await idOf(`/api/v1/drift-events?instance_id=${agent.instanceId}`),
    alerts: await idOf(`/api/v1/alerts?subject_id=${agent.instanceId}`),
    'alert-rules': silence.body.id,
    'api-keys': (await app.call('POST', '/api/v1/api-keys', { body: { name: 'to-revoke', role: 'viewer' } })).body.id,
    webhooks: (await app.call('POST', '/api/v1/webhooks', { body: { url: 'https://93.184.215.14/system-team', event_types: ['task.*'] } })).body.id,
    teams: (await app.call('GET', '/api/v1/team')).body.id,
  };
  const deliveryId = (await app.call('POST', `/api/v1/webhooks/${ids.webhooks}/ping`, { body: {} })).body.id as string;
  // ...and a skill, named as every `:name` is below, that another team must not see.
  const published = await app.call('POST', '/api/v1/skills', {
    body: { name: 'alerts', version: '1.0.0', description: 'system-team skill', category: 'ops', parameters_schema: { type: 'object' } },
  });
  if (published.status !== 201) throw new Error(`publishing a skill answered ${published.status}`);
  const pathOf = (route: RegisteredRoute) =>
    route.path
      .replace(':id', ids[route.path.split('/')[3] ?? ''] ?? 'none')
      .replace(':name', 'alerts')
      .replace(':delivery_id', deliveryId)
      .replace(':version', '1.0.0');
  /** Routes that name a resource of the team: another team's keys get 404 there. */
  const namesResource = (route: RegisteredRoute) => route.path.includes(':id') || route.path.startsWith('/api/v1/skills/:name');
  const own = Object.fromEntries(await Promise.all(roles.map(async (role) => [role, await keyOf(app, role)] as const))) as Record<Role, string>;
  const otherAdmin = await createOtherTeam(app, 'other');
  const other = {
    ...(Object.fromEntries(
      await Promise.all(roles.filter((r) => r !== 'admin').map(async (role) => [role, await keyOf(app, role, otherAdmin)] as const)),
    ) as Record<Role, string>),
    admin: otherAdmin,
  };
  // Routes that change what the others act on run last: revoking, deleting, destroying.
  const last = (route: RegisteredRoute) => Number(/revoke|destroy/.test(route.path) || route.method === 'DELETE');
  const ordered = routes.filter(keyed).sort((a, b) => last(a) - last(b));

  t.test('when each role of the team calls each route, then 403 exactly where the table says', async (t) => {
    for (const route of ordered) {
      const access = routePermissions[`${route.method} ${route.path}` as keyof typeof routePermissions] as Access;
      for (const role of roles) {
        const answer = await callAs(app, own[role], route.method, pathOf(route));
        const allowed = permits(access, role, true);
        if (allowed) t.not(answer.status, 403, `${role}: ${route.method} ${route.path} is allowed (${answer.status})`);
        else t.match(answer, { status: 403, body: /"permission_error"/ }, `${role}: ${route.method} ${route.path} needs ${access}`);
      }
    }
  });

  t.test("when another team's keys call them, then 404 for the team's resources, 403 for the system team's routes, and never its data", async (t) => {
    // What the system team wrote; ids too, except where the caller named one (a 404 repeats it).
    const markers = ['system-team', 'guarded', 'no heartbeat for 15 s'];
    for (const route of ordered) {
      const access = routePermissions[`${route.method} ${route.path}` as keyof typeof routePermissions] as Access;
      for (const role of roles) {
        const answer = await callAs(app, other[role], route.method, pathOf(route));
        if (namesResource(route)) t.equal(answer.status, 404, `${role} of another team: ${route.method} ${route.path}`);
        else if (access === 'system_admin') t.equal(answer.status, 403, `${role} of another team: ${route.method} ${route.path}`);
        const leaked = [...markers, ...(route.path.includes(':id') ? [] : Object.values(ids))].filter((secret) => answer.body.includes(secret));
        t.same(leaked, [], `${role} of another team: ${route.method} ${route.path} shows nothing of the system team`);
      }
    }
  });
});
