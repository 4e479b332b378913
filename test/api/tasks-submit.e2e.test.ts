import t from 'tap';
import { startTestBosun } from './harness.js';

t.test('submitting a task', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);

  t.test('answers 202 with the pending task, its revision and position', async (t) => {
    const submitted = await app.call('POST', '/api/v1/tasks', {
      body: { kind: 'echo', input: { message: 'hi' }, required_skills: ['shell', 'shell'], timeout_seconds: 60 },
    });
    t.equal(submitted.status, 202);
    t.match(submitted.body, {
      object: 'task',
      kind: 'echo',
      status: 'pending',
      input: { message: 'hi' },
      required_skills: ['shell'],
      timeout_seconds: 60,
      instance_id: null,
      revision: 0,
    });
    t.type(submitted.body.id, 'string');
    t.ok(submitted.body.position > 0, 'carries its global position');
    t.equal(submitted.headers.get('location'), `/api/v1/tasks/${submitted.body.id}`);
    t.notOk('tenant' in submitted.body, 'storage fields are not exposed');
  });

  t.test('the task is readable right after, when the read names the write position', async (t) => {
    const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } });
    const read = await app.call('GET', `/api/v1/tasks/${submitted.body.id}`, {
      headers: { 'x-min-position': String(submitted.body.position) },
    });
    t.equal(read.status, 200);
    t.same(read.body, submitted.body);
  });

  t.test('every event carries who, why and where', async (t) => {
    const submitted = await app.call('POST', '/api/v1/tasks', {
      body: { kind: 'echo', input: {} },
      headers: { 'x-request-id': 'req-meta-1', 'user-agent': 'bosun-test/1', 'x-correlation-id': 'corr-1' },
    });
    const [event] = await app.bosun.events.readStream(`task-${submitted.body.id}`);
    t.match(event?.metadata, {
      actor: { type: 'api_key' },
      request_id: 'req-meta-1',
      correlation_id: 'corr-1',
      causation_id: 'req-meta-1',
      schema_version: 3,
    });
    const origin = await app.bosun.commands.personal.reveal([event?.metadata.user_agent, event?.metadata.client_ip], event!.tenant);
    t.match(origin, ['bosun-test/1', /^(::ffff:)?127\.0\.0\.1$|^::1$/], 'user agent and client IP recorded, sealed as personal data of the key');
    t.ok(event?.tenant, 'tenant recorded');
  });
});
