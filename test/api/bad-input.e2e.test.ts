import t from 'tap';
import { startTestBosun, type TestBosun } from './harness.js';

const storedEvents = async (app: TestBosun) => app.bosun.events.headPosition();

t.test('bad input gets a typed error naming what is wrong, and stores nothing', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const before = await storedEvents(app);

  const cases: { name: string; call: Parameters<TestBosun['call']>; status: number; type: string; param?: string }[] = [
    {
      name: 'malformed JSON',
      call: ['POST', '/api/v1/tasks', { rawBody: '{"kind": "echo",', headers: { 'content-type': 'application/json' } }],
      status: 400,
      type: 'invalid_request_error',
    },
    { name: 'missing kind', call: ['POST', '/api/v1/tasks', { body: { input: {} } }], status: 400, type: 'invalid_request_error', param: 'kind' },
    {
      name: 'wrong type',
      call: ['POST', '/api/v1/tasks', { body: { kind: 'echo', input: 'text' } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'input',
    },
    {
      name: 'wrong nested type',
      call: ['POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, required_skills: ['a', 3] } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'required_skills.1',
    },
    {
      name: 'timeout not an integer',
      call: ['POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, timeout_seconds: 1.5 } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'timeout_seconds',
    },
    {
      name: 'unknown field',
      call: ['POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, priority: 1 } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'priority',
    },
    { name: 'a JSON array', call: ['POST', '/api/v1/tasks', { body: [1, 2] }], status: 400, type: 'invalid_request_error' },
    {
      name: 'not JSON',
      call: ['POST', '/api/v1/tasks', { rawBody: 'kind=echo', headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
      status: 415,
      type: 'invalid_request_error',
    },
    {
      name: 'oversized body',
      call: ['POST', '/api/v1/tasks', { body: { kind: 'echo', input: { blob: 'x'.repeat(1024 * 1024 + 1) } } }],
      status: 413,
      type: 'invalid_request_error',
    },
    {
      name: 'deeply nested input',
      call: [
        'POST',
        '/api/v1/tasks',
        { rawBody: `{"kind":"echo","input":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`, headers: { 'content-type': 'application/json' } },
      ],
      status: 400,
      type: 'invalid_request_error',
    },
    {
      name: 'deeply nested instance spec',
      call: [
        'POST',
        '/api/v1/instances',
        { rawBody: `{"name":"deep","spec":${'['.repeat(3000)}${']'.repeat(3000)}}`, headers: { 'content-type': 'application/json' } },
      ],
      status: 400,
      type: 'invalid_request_error',
    },
    {
      name: 'merge patch on a POST',
      call: ['POST', '/api/v1/tasks', { rawBody: '{"kind":"echo","input":{}}', headers: { 'content-type': 'application/merge-patch+json' } }],
      status: 415,
      type: 'invalid_request_error',
    },
    {
      name: 'position beyond the log',
      call: ['GET', '/api/v1/tasks', { headers: { 'x-min-position': '999999999' } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'min_position',
    },
    {
      name: 'firehose resumed beyond the log',
      call: ['GET', '/api/v1/events', { headers: { 'last-event-id': '999999999' } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'last_event_id',
    },
    { name: 'firehose from beyond the log', call: ['GET', '/api/v1/events?from=999999999'], status: 400, type: 'invalid_request_error', param: 'from' },
    {
      name: 'task for an unknown instance',
      call: ['POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, instance_id: '01939f9c-0000-7000-8000-000000000000' } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'instance_id',
    },
    {
      name: 'task for something that is not an instance id',
      call: ['POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, instance_id: '../../etc' } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'instance_id',
    },
    { name: 'unknown task', call: ['GET', '/api/v1/tasks/does-not-exist'], status: 404, type: 'not_found_error' },
    { name: 'cancel unknown task', call: ['POST', '/api/v1/tasks/does-not-exist/cancel', { body: {} }], status: 404, type: 'not_found_error' },
    { name: 'unknown route', call: ['GET', '/api/v1/nothing-here'], status: 404, type: 'not_found_error' },
    { name: 'bad limit', call: ['GET', '/api/v1/tasks?limit=101'], status: 400, type: 'invalid_request_error', param: 'limit' },
    { name: 'bad cursor', call: ['GET', '/api/v1/tasks?cursor=garbage'], status: 400, type: 'invalid_request_error', param: 'cursor' },
    { name: 'bad status filter', call: ['GET', '/api/v1/tasks?status=sleeping'], status: 400, type: 'invalid_request_error', param: 'status' },
    {
      name: 'bad min position',
      call: ['GET', '/api/v1/tasks', { headers: { 'x-min-position': '-1' } }],
      status: 400,
      type: 'invalid_request_error',
      param: 'min_position',
    },
    { name: 'missing key', call: ['GET', '/api/v1/tasks', { key: null }], status: 401, type: 'authentication_error' },
    { name: 'wrong key', call: ['POST', '/api/v1/tasks', { key: 'not-a-key', body: { kind: 'echo', input: {} } }], status: 401, type: 'authentication_error' },
    {
      name: 'malformed authorization',
      call: ['GET', '/api/v1/tasks', { key: null, headers: { authorization: 'Basic abc' } }],
      status: 401,
      type: 'authentication_error',
    },
  ];

  for (const c of cases) {
    const answer = await app.call(...c.call);
    t.equal(answer.status, c.status, `${c.name}: status`);
    t.equal(answer.body?.error?.type, c.type, `${c.name}: type`);
    t.type(answer.body?.error?.message, 'string', `${c.name}: message`);
    t.equal(answer.body?.error?.request_id, answer.headers.get('x-request-id'), `${c.name}: request id`);
    if (c.param) t.equal(answer.body?.error?.param, c.param, `${c.name}: names ${c.param}`);
  }
  t.equal(await storedEvents(app), before, 'no event was stored');
});
