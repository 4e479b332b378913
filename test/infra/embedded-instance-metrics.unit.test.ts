import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { openEmbeddedInstanceMetrics } from '../../infra/embedded-instance-metrics.js';
import { instanceMetricsContract } from '../processes/instance-metrics.contract.js';

const logger = pino({ level: 'silent' });

instanceMetricsContract(t, 'embedded', async (clock, retentionMs) => {
  const store = openEmbeddedInstanceMetrics({ file: ':memory:', retentionMs, logger, now: clock.now, pruneEveryMs: 0 });
  return { store, cleanup: () => store.close() };
});

t.test('metrics survive a reopen of the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bosun-metrics-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'metrics.sqlite');
  const now = Date.now();
  const first = openEmbeddedInstanceMetrics({ file, retentionMs: 3_600_000, logger });
  await first.record({ tenant: 'a', instanceId: 'i1', at: now, values: { cpu_percent: 3 } });
  await first.close();
  const second = openEmbeddedInstanceMetrics({ file, retentionMs: 3_600_000, logger });
  t.teardown(() => second.close());
  t.same((await second.latestOf('a', 'i1'))?.values, { cpu_percent: 3 });
});
