import t from 'tap';
import type { RecordedEvent } from '../../events/event-store.js';
import { logAsOf, resolveCut } from '../../projections/replay.js';
import { testMetadata } from '../events/event-metadata.js';

/** A log in memory whose events occurred at these times, in log order (positions 1..n). */
const logAt = (times: readonly string[]) => {
  const events: RecordedEvent[] = times.map((occurredAt, index) => ({
    id: `e${index + 1}`,
    type: 'unit.happened',
    tenant: 'team-a',
    data: null,
    metadata: { ...testMetadata(), occurred_at: occurredAt },
    stream: index % 2 === 0 ? 'unit-a' : 'unit-b',
    revision: Math.floor(index / 2),
    position: index + 1,
  }));
  return {
    readAll: async ({ after = 0, maxCount = 1000 } = {}) => events.filter((e) => e.position > after).slice(0, maxCount),
    readStream: async (stream: string) => events.filter((e) => e.stream === stream),
    headPosition: async () => events.length,
    close: async () => undefined,
  };
};

const now = new Date('2026-12-05T12:00:00Z');

t.test('a time cuts after the last event in the log that occurred at or before it, skewed clocks included', async (t) => {
  // Given a log whose fourth event was stamped by a clock behind the others
  const log = logAt(['2026-12-05T10:00:00Z', '2026-12-05T10:05:00Z', '2026-12-05T10:10:00Z', '2026-12-05T10:04:00Z', '2026-12-05T10:20:00Z']);
  // When cut at times, then
  t.match(
    await resolveCut(log, '2026-12-05T10:05:00Z', now),
    { position: 4, occurred_at: '2026-12-05T10:04:00Z', head: 5 },
    'the skewed event counts, with those logged before it',
  );
  t.match(await resolveCut(log, '2026-12-05T10:03:59Z', now), { position: 1 });
  t.match(await resolveCut(log, '2026-12-05T11:05:00+01:00', now), { position: 4 }, 'an offset is honoured');
  t.match(await resolveCut(log, '2026-12-05T11:00:00Z', now), { position: 5, head: 5 }, 'after the last event: the head');
  await t.rejects(resolveCut(log, '2026-12-05T09:00:00Z', now), {
    message: '--to 2026-12-05T09:00:00Z: no event occurred at or before then (the first occurred at 2026-12-05T10:00:00Z)',
  });
  await t.rejects(resolveCut(log, '2026-12-05T12:00:01Z', now), { message: '--to 2026-12-05T12:00:01Z: later than now (2026-12-05T12:00:00.000Z)' });
  await t.rejects(resolveCut(log, '2026-12-05 10:00', now), { message: /^--to "2026-12-05 10:00": neither an RFC 3339 time/ });
});

t.test('a position cuts after that event', async (t) => {
  const log = logAt(['2026-12-05T10:00:00Z', '2026-12-05T10:05:00Z', '2026-12-05T10:10:00Z']);
  t.same(await resolveCut(log, '2', now), { requested: '2', position: 2, occurred_at: '2026-12-05T10:05:00Z', head: 3 });
  await t.rejects(resolveCut(log, '4', now), { message: "--to 4: beyond the log's head (position 3)" });
  await t.rejects(resolveCut(log, '0', now), { message: '--to 0: a log position is a whole number from 1' });
});

t.test('the log as of a cut ends there and takes no append', async (t) => {
  const log = logAt(['2026-12-05T10:00:00Z', '2026-12-05T10:05:00Z', '2026-12-05T10:10:00Z', '2026-12-05T10:15:00Z']);
  const cut = await resolveCut(log, '2', now);
  const asOf = logAsOf(log, cut);
  t.equal(await asOf.headPosition(), 2);
  t.same(
    (await asOf.readAll()).map((e) => e.position),
    [1, 2],
  );
  t.same(
    (await asOf.readStream('unit-a')).map((e) => e.position),
    [1],
    'the stream ends at the cut too',
  );
  const delivered: number[] = [];
  const caughtUp = new Promise<number>((resolve) => {
    const subscription = asOf.subscribe(0, { onEvent: (e) => void delivered.push(e.position), onCaughtUp: (at) => resolve(at) });
    t.teardown(() => subscription.close());
  });
  t.equal(await caughtUp, 2);
  t.same(delivered, [1, 2], 'a subscription delivers up to the cut');
  await t.rejects(asOf.append('unit-a', [], 'any'), {
    code: 'replay_read_only',
    message: 'this is a replay as of position 2 (2026-12-05T10:05:00Z): nothing can be written',
  });
});
