import { pino } from 'pino';
import t from 'tap';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { ApiKeyUsage } from '../../processes/api-key-usage.js';
import { recentUsage } from '../../projections/access/api-key-usage.js';

const setUp = async (t: { teardown: (fn: () => Promise<void>) => void }) => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  const usage = new ApiKeyUsage(store, pino({ enabled: false }), { flushMs: 3_600_000 });
  await usage.start();
  t.teardown(async () => {
    await usage.stop();
    await store.close();
  });
  return { store, usage };
};

t.test('given requests of two keys over two days, when flushed, then each key has its count per day, newest first, and its last use', async (t) => {
  const { store, usage } = await setUp(t);
  usage.record('team-a', 'k1', new Date('2026-12-05T23:59:00Z'));
  usage.record('team-a', 'k1', new Date('2026-12-06T00:01:00Z'));
  usage.record('team-a', 'k1', new Date('2026-12-06T08:00:00Z'));
  usage.record('team-a', 'k2', new Date('2026-12-06T09:00:00Z'));
  t.same(await recentUsage(store, 'team-a', 'k1', 30), [], 'nothing is written before a flush');
  await usage.flush();
  t.match(await recentUsage(store, 'team-a', 'k1', 30), [
    { day: '2026-12-06', requests: 2, last_used_at: '2026-12-06T08:00:00.000Z' },
    { day: '2026-12-05', requests: 1, last_used_at: '2026-12-05T23:59:00.000Z' },
  ]);
  t.match(await recentUsage(store, 'team-a', 'k2', 30), [{ day: '2026-12-06', requests: 1 }]);
  t.same(await recentUsage(store, 'team-b', 'k1', 30), [], "another team's view of the key id holds nothing");
});

t.test('given counts already flushed, when more are flushed, then they add up; a flush with nothing counted changes nothing', async (t) => {
  const { store, usage } = await setUp(t);
  usage.record('team-a', 'k1', new Date('2026-12-06T08:00:00Z'));
  await usage.flush();
  usage.record('team-a', 'k1', new Date('2026-12-06T09:00:00Z'));
  usage.record('team-a', 'k1', new Date('2026-12-06T10:00:00Z'));
  await usage.flush();
  await usage.flush();
  t.match(await recentUsage(store, 'team-a', 'k1', 30), [{ day: '2026-12-06', requests: 3, last_used_at: '2026-12-06T10:00:00.000Z' }]);
});
