import t from 'tap';
import { startTestBosun } from './harness.js';
import { instanceId, taskDriver } from './task-driver.js';

t.test('listing tasks', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: i % 2 ? 'sleep' : 'echo', input: { i } } });
    ids.push(submitted.body.id);
  }
  const cancelled = await app.call('POST', `/api/v1/tasks/${ids[0]}/cancel`, { body: {} });
  const consistent = { 'x-min-position': String(cancelled.body.position) };

  t.test('pages newest first with a cursor until has_more is false', async (t) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await app.call('GET', `/api/v1/tasks?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { headers: consistent });
      t.equal(page.status, 200);
      t.ok(page.body.data.length <= 3);
      seen.push(...page.body.data.map((task: { id: string }) => task.id));
      cursor = page.body.next_cursor;
      t.equal(page.body.has_more, cursor !== null);
      pages++;
    } while (cursor);
    t.equal(pages, 3);
    t.same(seen, [...ids].reverse());
  });

  t.test('defaults to 20 per page', async (t) => {
    const page = await app.call('GET', '/api/v1/tasks', { headers: consistent });
    t.equal(page.body.data.length, 7);
    t.equal(page.body.has_more, false);
    t.equal(page.body.next_cursor, null);
  });

  t.test('filters by kind and by status', async (t) => {
    const sleeps = await app.call('GET', '/api/v1/tasks?kind=sleep', { headers: consistent });
    t.same(
      sleeps.body.data.map((task: { kind: string }) => task.kind),
      ['sleep', 'sleep', 'sleep'],
    );
    const done = await app.call('GET', '/api/v1/tasks?status=cancelled', { headers: consistent });
    t.same(
      done.body.data.map((task: { id: string }) => task.id),
      [ids[0]],
    );
    const pending = await app.call('GET', '/api/v1/tasks?status=pending&kind=echo', { headers: consistent });
    t.equal(pending.body.data.length, 3);
  });

  t.test('filters by instance and by a creation time range', async (t) => {
    const started = await taskDriver(app).start(ids[1] as string);
    const seen = { 'x-min-position': String(started.position) };
    const onInstance = await app.call('GET', `/api/v1/tasks?instance_id=${instanceId}`, { headers: seen });
    t.same(
      onInstance.body.data.map((task: { id: string }) => task.id),
      [ids[1]],
    );
    t.same((await app.call('GET', '/api/v1/tasks?instance_id=elsewhere', { headers: seen })).body.data, []);

    const all: { id: string; created_at: string }[] = (await app.call('GET', '/api/v1/tasks', { headers: seen })).body.data;
    const from = all[4]?.created_at as string;
    const to = all[1]?.created_at as string;
    const expected = all.filter((task) => task.created_at >= from && task.created_at < to).map((task) => task.id);
    t.ok(expected.length >= 1 && expected.length < all.length, 'the range holds some tasks, not all');
    // An offset other than Z names the same instant.
    const toPlusOne = new Date(Date.parse(to) + 3_600_000).toISOString().replace('Z', '+01:00');
    const ranged = await app.call('GET', `/api/v1/tasks?created_after=${encodeURIComponent(from)}&created_before=${encodeURIComponent(toPlusOne)}`, {
      headers: seen,
    });
    t.same(
      ranged.body.data.map((task: { id: string }) => task.id),
      expected,
    );
    const after = await app.call('GET', `/api/v1/tasks?created_after=${encodeURIComponent(to)}`, { headers: seen });
    t.same(
      after.body.data.map((task: { id: string }) => task.id),
      all.filter((task) => task.created_at >= to).map((task) => task.id),
    );
    t.match(await app.call('GET', '/api/v1/tasks?created_before=yesterday'), { status: 400, body: { error: { param: 'created_before' } } });
  });

  // Last: it adds tasks the tests above do not count.
  t.test('filters by the task a rerun ran again', async (t) => {
    const first = await app.call('POST', `/api/v1/tasks/${ids[0]}/rerun`);
    const second = await app.call('POST', `/api/v1/tasks/${ids[0]}/rerun`);
    const seen = { 'x-min-position': String(second.body.position) };
    const reruns = await app.call('GET', `/api/v1/tasks?rerun_of=${ids[0]}`, { headers: seen });
    t.same(
      reruns.body.data.map((task: { id: string; rerun_of: string }) => [task.id, task.rerun_of]),
      [
        [second.body.id, ids[0]],
        [first.body.id, ids[0]],
      ],
    );
    t.same((await app.call('GET', `/api/v1/tasks?rerun_of=${ids[1]}`, { headers: seen })).body.data, []);
    t.match(await app.call('GET', '/api/v1/tasks?rerun_of='), { status: 400, body: { error: { param: 'rerun_of' } } });
  });
});
