import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import t, { type Test } from 'tap';
import type { RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { uuidv7 } from '../../infra/ids.js';
import { LogFollower, type LogFollowerOptions } from '../../processes/log-follower.js';
import { testMetadata } from '../events/event-metadata.js';

const setUp = async (t: Test) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-follower-'));
  const store = openEmbeddedEventStore({ directory: join(directory, 'log') });
  t.teardown(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  const append = (stream: string, count: number) =>
    store.append(
      stream,
      Array.from({ length: count }, () => ({ id: uuidv7(), type: 'task.logged', tenant: 'team-1', data: {}, metadata: testMetadata() })),
      'any',
    );
  const stateFile = join(directory, 'follower.json');
  const follow = (handle: LogFollowerOptions['handle'], fold?: LogFollowerOptions['fold']) =>
    new LogFollower({ name: 'test follower', events: store, stateFile, logger: pino({ enabled: false }), handle, fold, saveEveryMs: 10 });
  return { append, stateFile, follow };
};

const until = async (done: () => boolean) => {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 5000) throw new Error('never got there');
    await sleep(10);
  }
};

t.test('a restart resumes after the last event handled, with the fold saved beside its position', async (t) => {
  const { append, stateFile, follow } = await setUp(t);
  await append('task-a', 2);
  await append('task-b', 1);
  // Given a follower that counts events per stream
  let counts = new Map<string, number>();
  const counting = () =>
    follow(
      async (event) => {
        counts.set(event.stream, (counts.get(event.stream) ?? 0) + 1);
        return true;
      },
      {
        restore: (saved) => (counts = new Map(Object.entries(saved.counts as Record<string, number>))),
        snapshot: () => ({ counts: Object.fromEntries(counts) }),
      },
    );
  const first = counting();
  first.start();
  await until(() => counts.size === 2);
  await first.stop();
  t.same(JSON.parse(readFileSync(stateFile, 'utf8')), { counts: { 'task-a': 2, 'task-b': 1 }, position: 3 });

  // When more events come while it is down, and it starts again from nothing in memory
  await append('task-b', 2);
  counts = new Map();
  const second = counting();
  second.start();
  t.teardown(() => second.stop());

  // Then the fold is restored and only the new events are handled
  await until(() => counts.get('task-b') === 3);
  await sleep(50);
  t.same(Object.fromEntries(counts), { 'task-a': 2, 'task-b': 3 });
});

t.test('a position file written before followers saved a fold (a bare number) is resumed from', async (t) => {
  const { append, stateFile, follow } = await setUp(t);
  await append('task-a', 3);
  writeFileSync(stateFile, '2');
  const seen: number[] = [];
  const follower = follow(async (event) => {
    seen.push(event.position);
    return true;
  });
  follower.start();
  t.teardown(() => follower.stop());
  await until(() => seen.length > 0);
  await sleep(50);
  t.same(seen, [3]);
});

t.test('an event not handled because the follower stopped is handled again at the next start', async (t) => {
  const { append, stateFile, follow } = await setUp(t);
  await append('task-a', 2);
  // Given a step that fails for as long as the follower runs
  let tries = 0;
  const stuck = follow((event) =>
    event.position === 1
      ? Promise.resolve(true)
      : stuck.retrying('a step', {}, async () => {
          tries++;
          throw new Error('the store is down');
        }),
  );
  stuck.start();
  await until(() => tries >= 2);
  await stuck.stop();
  t.equal(readFileSync(stateFile, 'utf8').includes('"position":1'), true, 'the position stays before the event not handled');

  // When it starts again with the step working
  const handled: RecordedEvent[] = [];
  const follower = follow(async (event) => {
    handled.push(event);
    return true;
  });
  follower.start();
  t.teardown(() => follower.stop());
  await until(() => handled.length > 0);
  t.same(
    handled.map((event) => event.position),
    [2],
  );
});
