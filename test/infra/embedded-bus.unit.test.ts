import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { NewEvent, RecordedEvent } from '../../events/event-store.js';
import { createEmbeddedBus } from '../../infra/embedded-bus.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { initialCheckpoint } from '../../projections/read-store.js';
import { testMetadata } from '../events/event-metadata.js';
import { eventBusContract, recorder, until, type BusWrite } from '../projections/event-bus.contract.js';

const event = (n: number): NewEvent => ({ id: randomUUID(), type: 'unit.happened', tenant: 'team-a', data: { n }, metadata: testMetadata() });

const openStore = () => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bus-'));
  const store = openEmbeddedEventStore({ directory });
  const cleanup = async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  };
  const append = async (writes: readonly BusWrite[]): Promise<RecordedEvent[]> => {
    const after = await store.headPosition();
    for (const { stream, count } of writes)
      await store.append(
        stream,
        Array.from({ length: count }, (_, n) => event(n)),
        'any',
      );
    return store.readAll({ after, maxCount: 100_000 });
  };
  return { store, append, cleanup };
};

// A small batch limit, so the contract also sees batches cut by size.
eventBusContract(t, 'embedded', async () => {
  const { store, append, cleanup } = openStore();
  const bus = createEmbeddedBus(store, { maxBatch: 50 });
  return {
    bus,
    append,
    cleanup: async () => {
      await bus.close();
      await cleanup();
    },
  };
});

t.test('a burst is handed over in batches of at most the limit; a single live event at once', async (t) => {
  const { store, append, cleanup } = openStore();
  t.teardown(cleanup);
  await append(Array.from({ length: 30 }, (_, i) => ({ stream: `task-${i}`, count: 40 })));
  const bus = createEmbeddedBus(store, { maxBatch: 500 });
  const received = recorder();
  const subscription = await bus.subscribe({ group: 'g', categories: ['task'], from: initialCheckpoint }, received.handlers());
  await until(() => subscription.covers(1200), 'the burst');
  t.ok(
    received.batches.every((size) => size <= 500),
    `batches ${received.batches.join(',')}`,
  );
  t.ok(received.batches.length <= 4, `a burst of 1200 becomes few batches (${received.batches.length})`);
  const [live] = await append([{ stream: 'task-live', count: 1 }]);
  const started = Date.now();
  await until(() => subscription.covers((live as RecordedEvent).position), 'the live event');
  t.ok(Date.now() - started < 200, 'a live event is not held back');
  t.equal(received.batches.at(-1), 1);
  await bus.close();
});

t.test('events of other categories count as passed: covers and lag see them', async (t) => {
  const { store, append, cleanup } = openStore();
  t.teardown(cleanup);
  const bus = createEmbeddedBus(store);
  const received = recorder();
  const subscription = await bus.subscribe({ group: 'g', categories: ['task'], from: initialCheckpoint }, received.handlers());
  const events = await append([
    { stream: 'task-1', count: 1 },
    { stream: 'alert-1', count: 3 },
  ]);
  await until(() => subscription.covers((events.at(-1) as RecordedEvent).position), 'the alerts to be passed');
  t.equal(received.deliveries.length, 1);
  t.same(await subscription.lag(), { events: 0, head: 4 });
  await bus.close();
});

t.test('from: the log lane wins over position; position alone is where a checkpoint without lanes resumes', async (t) => {
  const { store, append, cleanup } = openStore();
  t.teardown(cleanup);
  await append([{ stream: 'task-1', count: 6 }]);
  const bus = createEmbeddedBus(store);
  const byLane = recorder();
  const a = await bus.subscribe({ group: 'a', categories: ['task'], from: { position: 1, lanes: { log: 4 } } }, byLane.handlers());
  const byPosition = recorder();
  const b = await bus.subscribe({ group: 'b', categories: ['task'], from: { position: 2, lanes: {} } }, byPosition.handlers());
  await until(async () => (await a.covers(6)) && (await b.covers(6)), 'both');
  t.same(
    byLane.deliveries.map((d) => d.offset),
    [5, 6],
  );
  t.same(
    byPosition.deliveries.map((d) => d.offset),
    [3, 4, 5, 6],
  );
  t.ok(await a.covers(3), 'what lies before the checkpoint counts as handled');
  t.same(
    byLane.deliveries.map((d) => d.lane),
    ['log', 'log'],
  );
  await bus.close();
});

t.test('close waits for the batch in flight and nothing is delivered after it', async (t) => {
  const { store, append, cleanup } = openStore();
  t.teardown(cleanup);
  const bus = createEmbeddedBus(store);
  let release!: () => void;
  let inFlight = false;
  let finished = false;
  let calls = 0;
  const subscription = await bus.subscribe(
    { group: 'g', categories: ['task'], from: initialCheckpoint },
    {
      onBatch: async () => {
        calls++;
        inFlight = true;
        await new Promise<void>((resolve) => (release = resolve));
        finished = true;
      },
      onError: (error) => t.fail(error.message),
    },
  );
  await append([{ stream: 'task-1', count: 1 }]);
  await until(() => inFlight, 'a batch in flight');
  await append([{ stream: 'task-1', count: 1 }]);
  const closed = subscription.close().then(() => finished);
  setTimeout(() => release(), 50);
  t.equal(await closed, true, 'close resolved after the batch finished');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(calls, 1, 'the event appended meanwhile was not delivered');
  await bus.close();
});
