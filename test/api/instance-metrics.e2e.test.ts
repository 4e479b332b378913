import t from 'tap';
import { driftDriver, matchingConfiguration } from './drift-driver.js';
import { createOtherTeam, startTestBosun } from './harness.js';

t.test('heartbeat metrics: latest values in the detail, a series by range and step, 400 naming a bad one', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drift = driftDriver(app);
  const agent = await drift.enrol();
  const beat = (metrics: object) => agent.call('POST', '/heartbeat', { configuration: matchingConfiguration, metrics });

  const before = await app.call('GET', `/api/v1/instances/${agent.instanceId}`);
  t.equal(before.body.metrics, null, 'nothing kept before a heartbeat carries numbers');

  t.equal((await beat({ cpu_percent: 10, memory_mb: 200, disk_percent: 40, running_tasks: 1 })).status, 200);
  t.equal((await beat({ cpu_percent: 30, memory_mb: 220, disk_percent: 41, running_tasks: 0, queue_depth: 7 })).status, 200);

  const detail = await app.call('GET', `/api/v1/instances/${agent.instanceId}`);
  t.equal(detail.status, 200);
  t.same(detail.body.metrics.values, { cpu_percent: 30, disk_percent: 41, memory_mb: 220, queue_depth: 7, running_tasks: 0 }, 'each metric as last reported');
  t.ok(Date.parse(detail.body.metrics.at) > Date.now() - 60_000, 'when it was reported');
  const again = await app.call('GET', `/api/v1/instances/${agent.instanceId}`, { headers: { 'if-none-match': detail.headers.get('etag') as string } });
  t.equal(again.status, 200, 'metrics change without a revision: no 304');

  const series = await app.call('GET', `/api/v1/instances/${agent.instanceId}/metrics`);
  t.equal(series.status, 200);
  t.match(series.body, { object: 'instance_metrics', instance_id: agent.instanceId, range: '1h', step: '1m' });
  const samples = series.body.points.flatMap((point: any) => (point.values.cpu_percent ? [point.values.cpu_percent] : []));
  t.equal(
    samples.reduce((sum: number, value: any) => sum + value.samples, 0),
    2,
    'both heartbeats counted (in one minute or two)',
  );
  t.equal(Math.max(...samples.map((value: any) => value.max)), 30);

  const weekly = await app.call('GET', `/api/v1/instances/${agent.instanceId}/metrics?range=7d`);
  t.equal(weekly.body.step, '1h', 'the step follows the range');
  t.equal(weekly.body.points.length, 1);
  t.same(weekly.body.points[0].values.cpu_percent, { avg: 20, max: 30, samples: 2 });

  for (const [query, param] of [
    ['range=2h', 'range'],
    ['step=2m', 'step'],
    ['range=1h&step=1d', 'step'],
    ['range=7d&step=1m', 'step'],
    ['from=0', 'from'],
  ] as const) {
    const refused = await app.call('GET', `/api/v1/instances/${agent.instanceId}/metrics?${query}`);
    t.equal(refused.status, 400, query);
    t.equal(refused.body.error.param, param, `${query} names ${param}`);
  }

  const badName = await agent.call('POST', '/heartbeat', { configuration: matchingConfiguration, metrics: { 'cpu.percent': 1 } });
  t.equal(badName.status, 400, 'a metric name that is not letters, digits and _ is refused');

  const otherKey = await createOtherTeam(app);
  t.equal((await app.call('GET', `/api/v1/instances/${agent.instanceId}/metrics`, { key: otherKey })).status, 404, "another team's instance is not found");
});
