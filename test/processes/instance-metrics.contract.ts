import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { lastHeartbeatAt, seriesOf, type InstanceMetricsStore } from '../../processes/instance-metrics.js';

/** A store over a clock the test moves; retention is two hours. */
export type MakeMetricsStore = (clock: { now: () => number }, retentionMs: number) => Promise<{ store: InstanceMetricsStore; cleanup: () => Promise<void> }>;

const hour = 3_600_000;
/** A minute boundary, so the minutes a test writes into are plain to read. */
const t0 = Date.parse('2026-03-01T12:00:00.000Z');

/**
 * Every heartbeat-metrics adapter passes this suite. Instance ids are unique per test, so
 * it can run against a shared server.
 */
export const instanceMetricsContract = (t: Test, name: string, make: MakeMetricsStore) => {
  t.test(`${name}: instance-metrics contract`, async (t) => {
    const fresh = async (t: Test) => {
      const clock = { at: t0, now: () => clock.at };
      const made = await make(clock, 2 * hour);
      t.teardown(made.cleanup);
      return { store: made.store, clock, id: randomUUID() };
    };

    t.test('samples of one minute add up: sums, counts and maxima per metric', async (t) => {
      const { store, id } = await fresh(t);
      await store.record({ tenant: 'a', instanceId: id, at: t0 + 1_000, values: { cpu_percent: 10, memory_mb: 100 } });
      await store.record({ tenant: 'a', instanceId: id, at: t0 + 20_000, values: { cpu_percent: 30 } });
      await store.record({ tenant: 'a', instanceId: id, at: t0 + 61_000, values: { cpu_percent: 5 } });
      t.same(await store.minutes('a', id, t0, t0 + 2 * 60_000), [
        { minute: t0, sums: { cpu_percent: 40, memory_mb: 100 }, counts: { cpu_percent: 2, memory_mb: 1 }, maxes: { cpu_percent: 30, memory_mb: 100 } },
        { minute: t0 + 60_000, sums: { cpu_percent: 5 }, counts: { cpu_percent: 1 }, maxes: { cpu_percent: 5 } },
      ]);
      t.same(
        await store.minutes('a', id, t0 + 60_000, t0 + 120_000),
        [{ minute: t0 + 60_000, sums: { cpu_percent: 5 }, counts: { cpu_percent: 1 }, maxes: { cpu_percent: 5 } }],
        'from is inclusive, to exclusive',
      );
    });

    t.test('latest values: each metric of the newest minute as last reported', async (t) => {
      const { store, id } = await fresh(t);
      t.equal(await store.latestOf('a', id), null, 'nothing before the first heartbeat');
      t.equal(await lastHeartbeatAt(store, 'a', id), null);
      await store.record({ tenant: 'a', instanceId: id, at: t0 + 1_000, values: { cpu_percent: 10, disk_percent: 50 } });
      await store.record({ tenant: 'a', instanceId: id, at: t0 + 61_000, values: { cpu_percent: 12, disk_percent: 51 } });
      await store.record({ tenant: 'a', instanceId: id, at: t0 + 66_000, values: { cpu_percent: 14, disk_percent: 52 } });
      t.same(await store.latestOf('a', id), { at: new Date(t0 + 66_000).toISOString(), values: { cpu_percent: 14, disk_percent: 52 } });
      t.equal(await lastHeartbeatAt(store, 'a', id), new Date(t0 + 66_000).toISOString());
    });

    t.test("another team's instance has no metrics", async (t) => {
      const { store, id } = await fresh(t);
      await store.record({ tenant: 'a', instanceId: id, at: t0, values: { cpu_percent: 10 } });
      t.equal(await store.latestOf('b', id), null);
      t.same(await store.minutes('b', id, t0 - hour, t0 + hour), []);
    });

    t.test('minutes older than the retention window are neither read nor kept', async (t) => {
      const { store, clock, id } = await fresh(t);
      await store.record({ tenant: 'a', instanceId: id, at: t0 + 5_000, values: { cpu_percent: 1 } });
      await store.record({ tenant: 'a', instanceId: id, at: t0 + 65_000, values: { cpu_percent: 2 } });
      clock.at = t0 + 2 * hour + 90_000;
      t.same(
        (await store.minutes('a', id, 0, clock.at)).map((bucket) => bucket.minute),
        [t0 + 60_000],
        'the first minute ended more than two hours ago; the second has 30 s left',
      );
      await store.prune();
      clock.at = t0;
      t.same(
        (await store.minutes('a', id, 0, t0 + hour)).map((bucket) => bucket.minute),
        [t0 + 60_000],
        'pruned: gone even for a reader whose clock is earlier',
      );
      clock.at = t0 + 3 * hour;
      t.equal(await store.latestOf('a', id), null, 'latest values expire with their minute');
    });

    t.test('a series folds minutes into steps aligned to the epoch, leaving out steps without samples', async (t) => {
      const { store, clock, id } = await fresh(t);
      for (const [offset, cpu] of [
        [0, 10],
        [60_000, 20],
        [5 * 60_000, 40],
        [6 * 60_000, 60],
      ] as const) {
        await store.record({ tenant: 'a', instanceId: id, at: t0 + offset + 1_000, values: { cpu_percent: cpu } });
      }
      clock.at = t0 + 30 * 60_000;
      const series = await seriesOf(store, 'a', id, '1h', '5m', clock.at);
      t.equal(series.to, new Date(t0 + 31 * 60_000).toISOString(), 'through the current minute');
      t.equal(series.from, new Date(t0 - 30 * 60_000).toISOString(), 'an hour back, down to a step');
      t.same(series.points, [
        { at: new Date(t0).toISOString(), values: { cpu_percent: { avg: 15, max: 20, samples: 2 } } },
        { at: new Date(t0 + 5 * 60_000).toISOString(), values: { cpu_percent: { avg: 50, max: 60, samples: 2 } } },
      ]);
    });
  });
};
