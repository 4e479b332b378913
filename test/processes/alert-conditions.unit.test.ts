import t from 'tap';
import { firingsOf } from '../../processes/alert-rules/conditions.js';
import type { FleetReadings } from '../../processes/alert-rules/fleet-readings.js';

const now = Date.parse('2026-01-01T01:00:00.000Z');
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
const box = (id: string) => ({ id, name: `box-${id}` });

/** A fake fleet: what each reading answers, and what it was asked. */
const fleet = (answers: Partial<{ [K in keyof FleetReadings]: Awaited<ReturnType<FleetReadings[K]>> }>) => {
  const asked: unknown[][] = [];
  const readings: FleetReadings = {
    lastHeartbeats: async (...args) => (asked.push(['lastHeartbeats', ...args]), answers.lastHeartbeats ?? []),
    taskOutcomes: async (...args) => (asked.push(['taskOutcomes', ...args]), answers.taskOutcomes ?? []),
    openDrift: async (...args) => (asked.push(['openDrift', ...args]), answers.openDrift ?? []),
    metricSeries: async (...args) => (asked.push(['metricSeries', ...args]), answers.metricSeries ?? []),
  };
  return { readings, asked };
};

t.test('no_heartbeat fires for running instances silent for the rule seconds or more', async (t) => {
  const { readings, asked } = fleet({
    lastHeartbeats: [
      { instance: box('i-1'), at: ago(90) },
      { instance: box('i-2'), at: ago(59) },
      { instance: box('i-3'), at: ago(60) },
    ],
  });
  t.strictSame(await firingsOf({ kind: 'no_heartbeat', seconds: 60 }, readings, 'team-a', now), [
    { subject: { type: 'instance', id: 'i-1' }, message: 'instance box-i-1 (i-1) sent no heartbeat for 90 s (the rule allows 60 s)' },
    { subject: { type: 'instance', id: 'i-3' }, message: 'instance box-i-3 (i-3) sent no heartbeat for 60 s (the rule allows 60 s)' },
  ]);
  t.strictSame(asked, [['lastHeartbeats', 'team-a']], 'read for the rule team only');
});

t.test('task_failure_rate needs the minimum count of runs in the window, then the failed share at or above the rate', async (t) => {
  const { readings, asked } = fleet({
    taskOutcomes: [
      { instance: box('few'), completed: 0, failed: 2 },
      { instance: box('bad'), completed: 2, failed: 2 },
      { instance: box('fine'), completed: 3, failed: 1 },
    ],
  });
  const firings = await firingsOf({ kind: 'task_failure_rate', window_seconds: 600, min_count: 3, rate: 0.5 }, readings, 'team-a', now);
  t.strictSame(firings, [{ subject: { type: 'instance', id: 'bad' }, message: '2 of 4 task runs failed on instance box-bad (bad) within 600 s' }]);
  t.strictSame(asked, [['taskOutcomes', 'team-a', ago(600)]], 'outcomes since the window began');
});

t.test('open_drift fires once per instance with drift at or above the severity', async (t) => {
  const { readings } = fleet({
    openDrift: [
      { instance: box('i-1'), driftId: 'd-1', severity: 'medium' },
      { instance: box('i-1'), driftId: 'd-2', severity: 'critical' },
      { instance: box('i-2'), driftId: 'd-3', severity: 'medium' },
      { instance: box('i-3'), driftId: 'd-4', severity: 'high' },
    ],
  });
  t.strictSame(await firingsOf({ kind: 'open_drift', severity: 'high' }, readings, 'team-a', now), [
    { subject: { type: 'instance', id: 'i-1' }, message: 'instance box-i-1 (i-1) has 1 open drift event(s) at or above high (worst: critical)' },
    { subject: { type: 'instance', id: 'i-3' }, message: 'instance box-i-3 (i-3) has 1 open drift event(s) at or above high (worst: high)' },
  ]);
});

t.test('metric_threshold fires only when the metric breached for the whole duration', async (t) => {
  const sample = (secondsAgo: number, value: number) => ({ at: ago(secondsAgo), value });
  const { readings, asked } = fleet({
    metricSeries: [
      { instance: box('held'), before: sample(400, 95), samples: [sample(200, 97), sample(10, 91)] },
      { instance: box('dipped'), before: sample(400, 95), samples: [sample(200, 80), sample(10, 99)] },
      { instance: box('began-late'), before: sample(400, 50), samples: [sample(200, 99)] },
      { instance: box('new'), before: null, samples: [sample(10, 99)] },
    ],
  });
  const condition = { kind: 'metric_threshold', metric: 'cpu_percent', operator: 'above', threshold: 90, duration_seconds: 300 } as const;
  t.strictSame(await firingsOf(condition, readings, 'team-a', now), [
    { subject: { type: 'instance', id: 'held' }, message: 'cpu_percent on instance box-held (held) has been above 90 for 300 s (now 91)' },
  ]);
  t.strictSame(asked, [['metricSeries', 'team-a', 'cpu_percent', ago(300)]]);
  const below = await firingsOf({ ...condition, operator: 'below', threshold: 100 }, readings, 'team-a', now);
  t.strictSame(
    below.map((firing) => firing.subject.id),
    ['held', 'dipped', 'began-late'],
    'below 100 throughout; an instance with no value before the window has not held it long enough',
  );
});
