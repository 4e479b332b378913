import t from 'tap';
import { routePermissions } from '../../api/permissions.js';
import { startTestBosun } from './harness.js';

type Operation = { 'x-bosun-access'?: string; responses: Record<string, { headers?: Record<string, unknown>; $ref?: string }> };
type PathItem = Record<string, Operation> & { servers?: { url: string }[] };

t.test('the OpenAPI document is the API', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const document = (await app.call('GET', '/api/v1/openapi.json', { key: null })).body as {
    paths: Record<string, PathItem>;
    components: Record<string, Record<string, unknown>>;
  };
  const documented = new Map<string, Operation>();
  for (const [path, item] of Object.entries(document.paths)) {
    const base = item.servers?.[0]?.url === '/' ? '' : '/api/v1';
    for (const [method, operation] of Object.entries(item)) {
      if (['get', 'put', 'post', 'patch', 'delete'].includes(method))
        documented.set(`${method.toUpperCase()} ${base}${path.replace(/\{(\w+)\}/g, ':$1')}`, operation as Operation);
    }
  }
  const served = new Set(app.bosun.routes.map((route) => `${route.method} ${route.path}`));

  t.test('every route served is documented, and every documented operation is served', async (t) => {
    t.same([...served].filter((route) => !documented.has(route)).sort(), [], 'served, not documented');
    t.same([...documented.keys()].filter((route) => !served.has(route)).sort(), [], 'documented, not served');
  });

  t.test('each operation says who may call it, as the permission table does', async (t) => {
    for (const [route, operation] of documented) t.equal(operation['x-bosun-access'], routePermissions[route as keyof typeof routePermissions], route);
  });

  t.test('each keyed operation declares 401, 403 and 429, and every answer it defines carries the request id and the rate-limit headers', async (t) => {
    for (const [route, operation] of documented) {
      const access = operation['x-bosun-access'];
      if (access === 'public' || access === 'agent') continue;
      for (const status of ['401', '403', '429']) t.ok(operation.responses[status], `${route} declares ${status}`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (response.$ref) continue;
        t.ok(response.headers?.['X-Request-Id'] && response.headers['X-RateLimit-Reset'], `${route} ${status} carries X-Request-Id and X-RateLimit-*`);
      }
    }
  });

  t.test('reads that take X-Min-Position declare 503, each successful answer has a schema', async (t) => {
    for (const [route, operation] of documented) {
      const parameters = (operation as unknown as { parameters?: { name: string }[] }).parameters ?? [];
      if (parameters.some((p) => p.name === 'X-Min-Position')) t.ok(operation.responses['503'], `${route} declares 503`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!status.startsWith('2') || status === '204' || response.$ref) continue;
        t.ok((response as { content?: object }).content, `${route} ${status} has a body schema`);
      }
    }
  });

  t.test('reruns are documented: the route answers a Task, which names the task it reran, and the list filters by it', async (t) => {
    const rerun = documented.get('POST /api/v1/tasks/:id/rerun');
    t.match(rerun?.responses['202'], { content: { 'application/json': { schema: { $ref: '#/components/schemas/Task' } } } });
    t.match((document.components.schemas?.Task as { properties: Record<string, unknown> }).properties.rerun_of, { type: ['string', 'null'] });
    const listParameters = (documented.get('GET /api/v1/tasks') as unknown as { parameters: { name: string }[] }).parameters.map((p) => p.name);
    t.ok(listParameters.includes('rerun_of'), 'GET /tasks takes rerun_of');
  });

  t.test('GET /version says what runs', async (t) => {
    const version = await app.call('GET', '/version', { key: null });
    t.match(version, { status: 200, body: { object: 'version', version: /^\d+\.\d+\.\d+/, api_version: 'v1' } });
    t.ok(version.body.commit === null || /^[0-9a-f]{7,40}$/.test(version.body.commit), 'a commit id, or null outside a checkout');
  });
});
