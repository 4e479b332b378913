import t from 'tap';
import { startTestBosun } from './harness.js';

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
});
