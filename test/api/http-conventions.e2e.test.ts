import t from 'tap';
import { startTestBosun } from './harness.js';

t.test('HTTP conventions', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);

  t.test('X-Request-Id is echoed, or made up', async (t) => {
    const echoed = await app.call('GET', '/health', { headers: { 'x-request-id': 'abc-123' } });
    t.equal(echoed.headers.get('x-request-id'), 'abc-123');
    const made = await app.call('GET', '/health');
    t.match(made.headers.get('x-request-id'), /^req_/);
  });

  t.test('health and readiness', async (t) => {
    t.same((await app.call('GET', '/health', { key: null })).body, { status: 'ok' });
    const ready = await app.call('GET', '/ready', { key: null });
    t.equal(ready.status, 200);
    t.match(ready.body, { status: 'ready', checks: { read_side: { ok: true } } });
  });

  t.test('OpenAPI document', async (t) => {
    const doc = await app.call('GET', '/api/v1/openapi.json', { key: null });
    t.equal(doc.body.openapi, '3.1.0');
    t.ok(doc.body.paths['/tasks'].post.requestBody.content['application/json'].schema.properties.kind);
  });

  t.test('rate limits per key, with headers and Retry-After', async (t) => {
    const app = await startTestBosun({ rateLimitPerSecond: 2 });
    t.teardown(app.stop);
    // burst is 2 x 2/s = 4: the fifth request in a row is refused
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await app.call('GET', '/api/v1/team'));
    t.equal(answers[0]?.headers.get('x-ratelimit-limit'), '4');
    t.ok(Number(answers[0]?.headers.get('x-ratelimit-remaining')) >= 0);
    t.ok(answers[0]?.headers.get('x-ratelimit-reset'));
    const limited = answers.find((a) => a.status === 429);
    t.ok(limited, 'one was refused');
    t.equal(limited?.body.error.type, 'rate_limit_error');
    t.ok(Number(limited?.headers.get('retry-after')) >= 1);
  });

  t.test('event schemas are published', async (t) => {
    const schemas = await app.call('GET', '/api/v1/event-schemas');
    t.equal(schemas.status, 200);
    const types = schemas.body.data.map((s: { type: string }) => s.type);
    t.ok(types.includes('task.submitted'));
    t.ok(types.includes('team.api_key_issued'));
  });
});
