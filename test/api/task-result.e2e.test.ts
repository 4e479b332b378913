import t from 'tap';
import { adminKey, createOtherTeam, startTestBosun } from './harness.js';
import { taskDriver, watchSubscriptions } from './task-driver.js';

t.test('task results', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drive = taskDriver(app);
  const submit = async () => (await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } })).body;
  const consistent = (position: number) => ({ 'x-min-position': String(position) });

  t.test('409 naming the status until the task finished, then its outputs', async (t) => {
    const submitted = await submit();
    const early = await app.call('GET', `/api/v1/tasks/${submitted.id}/result`, { headers: consistent(submitted.position) });
    t.equal(early.status, 409);
    t.match(early.body.error, { type: 'conflict_error', code: 'task_not_finished', message: /pending/ });

    await drive.start(submitted.id);
    const completed = await drive.complete(submitted.id, { answer: 42 });
    const result = await app.call('GET', `/api/v1/tasks/${submitted.id}/result`, { headers: consistent(completed.position) });
    t.equal(result.status, 200);
    t.match(result.body, { object: 'task_result', task_id: submitted.id, status: 'completed', outputs: { answer: 42 }, error: null, finished_at: String });
  });

  t.test('a cancelled task has a result without outputs', async (t) => {
    const submitted = await submit();
    const cancelled = await app.call('POST', `/api/v1/tasks/${submitted.id}/cancel`, { body: {} });
    const result = await app.call('GET', `/api/v1/tasks/${submitted.id}/result`, { headers: consistent(cancelled.body.position) });
    t.equal(result.status, 200);
    t.match(result.body, { status: 'cancelled', outputs: null, error: null, finished_at: cancelled.body.finished_at });
  });

  t.test('wait_seconds answers once the task completes', async (t) => {
    const subscriptions = watchSubscriptions(app.bosun.events);
    const submitted = await submit();
    await drive.start(submitted.id);
    const waiting = app.call('GET', `/api/v1/tasks/${submitted.id}/result?wait_seconds=60`, { headers: consistent(submitted.position) });
    await subscriptions.until(1);
    await drive.complete(submitted.id, { done: true });
    const result = await waiting;
    t.equal(result.status, 200);
    t.match(result.body, { status: 'completed', outputs: { done: true } });
    await subscriptions.until(0);
    t.pass('the wait stopped following the task');
  });

  t.test('a client that stops waiting leaves no subscription behind', async (t) => {
    const subscriptions = watchSubscriptions(app.bosun.events);
    const submitted = await submit();
    const aborter = new AbortController();
    const waiting = fetch(`${app.bosun.url}/api/v1/tasks/${submitted.id}/result?wait_seconds=60`, {
      headers: { authorization: `Bearer ${adminKey}`, ...consistent(submitted.position) },
      signal: aborter.signal,
    }).catch((error: unknown) => error);
    await subscriptions.until(1);
    aborter.abort();
    t.match(await waiting, { name: 'AbortError' });
    await subscriptions.until(0);
    t.pass('the subscription closed');
  });

  t.test('wait_seconds that runs out answers 409', async (t) => {
    const submitted = await submit();
    const result = await app.call('GET', `/api/v1/tasks/${submitted.id}/result?wait_seconds=1`, { headers: consistent(submitted.position) });
    t.equal(result.status, 409);
    t.equal(result.body.error.code, 'task_not_finished');
  });

  t.test('wait_seconds out of range answers 400 naming the field', async (t) => {
    const submitted = await submit();
    for (const value of ['61', '-1', 'soon', '1.5']) {
      const refused = await app.call('GET', `/api/v1/tasks/${submitted.id}/result?wait_seconds=${value}`);
      t.equal(refused.status, 400, value);
      t.equal(refused.body.error.param, 'wait_seconds');
    }
  });

  t.test("another team's task answers 404", async (t) => {
    const otherKey = await createOtherTeam(app, 'result-other');
    const submitted = await submit();
    const cancelled = await app.call('POST', `/api/v1/tasks/${submitted.id}/cancel`, { body: {} });
    const theirs = await app.call('GET', `/api/v1/tasks/${submitted.id}/result`, { key: otherKey, headers: consistent(cancelled.body.position) });
    t.equal(theirs.status, 404);
    t.notOk(JSON.stringify(theirs.body).includes('cancelled'));
  });
});
