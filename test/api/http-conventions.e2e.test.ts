import { connect } from 'node:net';
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
    t.equal(answers[0]?.headers.get('ratelimit-policy'), '4;w=2', '4 requests per 2 s: 2/s sustained');
    const reset = Number(answers[0]?.headers.get('x-ratelimit-reset'));
    t.ok(reset >= Math.floor(Date.now() / 1000) && reset <= Math.ceil(Date.now() / 1000) + 2, 'reset is a Unix time in seconds, when the bucket is full again');
    t.ok(Number(answers[0]?.headers.get('x-ratelimit-remaining')) >= 0);
    t.ok(answers[0]?.headers.get('x-ratelimit-reset'));
    const limited = answers.find((a) => a.status === 429);
    t.ok(limited, 'one was refused');
    t.equal(limited?.body.error.type, 'rate_limit_error');
    t.ok(Number(limited?.headers.get('retry-after')) >= 1);
  });

  t.test('answers Bosun controls are the error envelope, whatever the request', async (t) => {
    const put = await app.call('PUT', '/api/v1/tasks');
    t.equal(put.status, 405);
    t.match(put.headers.get('allow'), /GET/);
    t.match(put.body, { error: { code: 'method_not_allowed' } });
    const raw = async (request: string) => {
      const { port } = new URL(app.bosun.url);
      const socket = connect(Number(port), '127.0.0.1');
      socket.end(request);
      const chunks: Buffer[] = [];
      for await (const chunk of socket) chunks.push(chunk as Buffer);
      const [head = '', body = ''] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
      return { statusLine: head.split('\r\n')[0], body: JSON.parse(body) as { error: { type: string; code: string; request_id: string } } };
    };
    // fetch refuses to send TRACE.
    const trace = await raw('TRACE /api/v1/tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    t.equal(trace.statusLine, 'HTTP/1.1 405 Method Not Allowed');
    t.match(trace.body, { error: { type: 'invalid_request_error', code: 'method_not_allowed', request_id: /^req_/ } });
    const unknownMethod = await raw('FROB /api/v1/tasks HTTP/1.1\r\nHost: x\r\n\r\n');
    t.equal(unknownMethod.statusLine, 'HTTP/1.1 400 Bad Request');
    t.match(unknownMethod.body, { error: { type: 'invalid_request_error', code: 'malformed_request', request_id: /^req_/ } });
    const longLine = await raw(`GET /api/v1/tasks?x=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.equal(longLine.statusLine, 'HTTP/1.1 431 Request Header Fields Too Large');
    t.match(longLine.body, { error: { type: 'invalid_request_error', code: 'headers_too_large' } });
  });

  t.test('event schemas are published', async (t) => {
    const schemas = await app.call('GET', '/api/v1/event-schemas');
    t.equal(schemas.status, 200);
    const types = schemas.body.data.map((s: { type: string }) => s.type);
    t.ok(types.includes('task.submitted'));
    t.ok(types.includes('team.api_key_issued'));
  });
});
