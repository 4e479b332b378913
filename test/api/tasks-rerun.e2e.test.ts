import t from 'tap';
import { createOtherTeam, startTestBosun } from './harness.js';
import { taskDriver } from './task-driver.js';

t.test('rerunning a task', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drive = taskDriver(app);
  const body = {
    kind: 'echo',
    input: { text: 'again', n: 2 },
    required_skills: ['shell'],
    timeout_seconds: 90,
    retry: { max_attempts: 2, backoff_seconds: 5 },
  };
  const submit = async () => (await app.call('POST', '/api/v1/tasks', { body })).body;
  const completedTask = async () => {
    const submitted = await submit();
    await drive.start(submitted.id);
    await drive.complete(submitted.id, { ok: true });
    return submitted;
  };

  t.test('of a completed task: 202 with a new pending task of the same input, naming the first in rerun_of', async (t) => {
    const first = await completedTask();
    const rerun = await app.call('POST', `/api/v1/tasks/${first.id}/rerun`);
    t.equal(rerun.status, 202);
    t.not(rerun.body.id, first.id);
    t.equal(rerun.headers.get('location'), `/api/v1/tasks/${rerun.body.id}`);
    t.match(rerun.body, {
      object: 'task',
      status: 'pending',
      rerun_of: first.id,
      kind: 'echo',
      input: { text: 'again', n: 2 },
      required_skills: ['shell'],
      timeout_seconds: 90,
      max_attempts: 2,
      attempts: 0,
      outputs: null,
      revision: 0,
    });
    const [submitted] = await app.bosun.events.readStream(`task-${rerun.body.id}`);
    t.match(submitted?.data, { rerun_of: first.id, max_attempts: 2, retry_backoff_seconds: 5, instance_id: null }, 'the retry policy is copied');
    const read = await app.call('GET', `/api/v1/tasks/${rerun.body.id}`, { headers: { 'x-min-position': String(rerun.body.position) } });
    t.equal(read.body.rerun_of, first.id);
    const original = await app.call('GET', `/api/v1/tasks/${first.id}`, { headers: { 'x-min-position': String(rerun.body.position) } });
    t.match(original.body, { status: 'completed', rerun_of: null }, 'the first task is left as it was');
  });

  t.test('of a cancelled task, and of a rerun: each names the task it reran', async (t) => {
    const first = await submit();
    await app.call('POST', `/api/v1/tasks/${first.id}/cancel`, { body: {} });
    const second = await app.call('POST', `/api/v1/tasks/${first.id}/rerun`);
    t.equal(second.status, 202);
    await app.call('POST', `/api/v1/tasks/${second.body.id}/cancel`, { body: {} });
    const third = await app.call('POST', `/api/v1/tasks/${second.body.id}/rerun`);
    t.equal(third.status, 202);
    t.equal(third.body.rerun_of, second.body.id);
  });

  t.test('of a task that has not finished: 409 naming its status, and nothing is appended', async (t) => {
    const pending = await submit();
    const early = await app.call('POST', `/api/v1/tasks/${pending.id}/rerun`);
    t.equal(early.status, 409);
    t.match(early.body.error, { type: 'conflict_error', code: 'task_not_finished', message: /is pending/ });
    await drive.start(pending.id);
    const running = await app.call('POST', `/api/v1/tasks/${pending.id}/rerun`);
    t.equal(running.status, 409);
    t.match(running.body.error, { code: 'task_not_finished', message: /is running/ });
    const list = await app.call('GET', `/api/v1/tasks?rerun_of=${pending.id}`);
    t.same(list.body.data, []);
  });

  t.test('with an Idempotency-Key: a retry answers the same task and creates no other', async (t) => {
    const first = await completedTask();
    const headers = { 'idempotency-key': `rerun-${first.id}` };
    const once = await app.call('POST', `/api/v1/tasks/${first.id}/rerun`, { headers });
    const twice = await app.call('POST', `/api/v1/tasks/${first.id}/rerun`, { headers });
    t.equal(once.status, 202);
    t.equal(twice.status, 202);
    t.equal(twice.body.id, once.body.id);
    t.equal(twice.body.rerun_of, first.id);
    const reruns = await app.call('GET', `/api/v1/tasks?rerun_of=${first.id}`, { headers: { 'x-min-position': String(once.body.position) } });
    t.same(
      reruns.body.data.map((task: { id: string }) => task.id),
      [once.body.id],
    );
  });

  t.test('a value marked personal is copied sealed: the log holds no clear value, the team reads it', async (t) => {
    const input = { email: { $personal: { subject: 'customer-7', value: 'bob@example.com' } } };
    const first = (await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input } })).body;
    await app.call('POST', `/api/v1/tasks/${first.id}/cancel`, { body: {} });
    const rerun = await app.call('POST', `/api/v1/tasks/${first.id}/rerun`);
    t.equal(rerun.status, 202);
    const [stored] = await app.bosun.events.readStream(`task-${rerun.body.id}`);
    t.notOk(JSON.stringify(stored).includes('bob@example.com'), 'sealed in the log');
    const [original] = await app.bosun.events.readStream(`task-${first.id}`);
    t.same((stored?.data as { input: unknown }).input, (original?.data as { input: unknown }).input, 'the same sealed value as the first');
    t.same(rerun.body.input, { email: 'bob@example.com' }, 'shown to the team');
  });

  t.test("another team's task: 404, as if it did not exist", async (t) => {
    const first = await completedTask();
    const otherAdmin = await createOtherTeam(app, 'rerun-other');
    const answer = await app.call('POST', `/api/v1/tasks/${first.id}/rerun`, { key: otherAdmin });
    t.equal(answer.status, 404);
    t.match(answer.body.error, { type: 'not_found_error', message: new RegExp(first.id) });
    const missing = await app.call('POST', '/api/v1/tasks/no-such-task/rerun');
    t.equal(missing.status, 404);
  });
});
