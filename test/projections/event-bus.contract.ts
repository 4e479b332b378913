import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { RecordedEvent } from '../../events/event-store.js';
import { categoryOfStream } from '../../events/streams.js';
import type { BusSubscription, Delivery, EventBus } from '../../projections/event-bus.js';
import { initialCheckpoint, type Checkpoint } from '../../projections/read-store.js';

export type BusWrite = { readonly stream: string; readonly count: number };

export type MadeBus = {
  readonly bus: EventBus;
  /**
   * Appends to the log, write after write, and puts the events on the bus as the relay would
   * (for Kafka: publishes them); answers the events as recorded, in log order.
   */
  readonly append: (writes: readonly BusWrite[]) => Promise<RecordedEvent[]>;
  readonly cleanup: () => Promise<void>;
};

/** Waits for a condition an asynchronous producer will make true; a hang fails the test instead. */
export const until = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise and what settles it, for handlers held until the test lets them go. */
export const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

/** What a subscription received, and how: batches, overlap, errors. */
export const recorder = () => {
  const deliveries: Delivery[] = [];
  const batches: number[] = [];
  const errors: Error[] = [];
  let active = 0;
  let maxActive = 0;
  return {
    deliveries,
    batches,
    errors,
    get maxActive() {
      return maxActive;
    },
    /** Lanes → last offset handled: a checkpoint to resume from. */
    checkpoint(): Checkpoint {
      const lanes: Record<string, number> = {};
      for (const d of deliveries) lanes[d.lane] = Math.max(lanes[d.lane] ?? -1, d.offset);
      return { position: Math.max(0, ...deliveries.map((d) => d.event.position)), lanes };
    },
    handlers: (work: (batch: readonly Delivery[]) => Promise<void> = async () => undefined) => ({
      onBatch: async (batch: readonly Delivery[]) => {
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          await work(batch);
          // Recorded only once handled: what a checkpoint would hold.
          deliveries.push(...batch);
          batches.push(batch.length);
        } finally {
          active--;
        }
      },
      onError: (error: Error) => errors.push(error),
    }),
  };
};

const ids = (events: readonly RecordedEvent[]) => events.map((e) => e.id).sort();

/**
 * Every bus adapter passes this suite. Streams, groups and (for Kafka) topics are unique per
 * test, so it can run against a shared server.
 */
export const eventBusContract = (t: Test, name: string, makeBus: () => Promise<MadeBus>) => {
  t.test(`${name}: event-bus contract`, async (t) => {
    const fresh = async () => {
      const made = await makeBus();
      const subscriptions: BusSubscription[] = [];
      t.teardown(async () => {
        await Promise.all(subscriptions.map((s) => s.close()));
        await made.cleanup();
      });
      const group = `contract-${randomUUID().slice(0, 8)}`;
      const stream = (category: string) => `${category}-${randomUUID()}`;
      const subscribe: EventBus['subscribe'] = async (options, handlers) => {
        const subscription = await made.bus.subscribe(options, handlers);
        subscriptions.push(subscription);
        return subscription;
      };
      return { ...made, group, stream, subscribe };
    };

    t.test('every event is delivered once, in stream order per stream and in lane order, caught up and live', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const streams = [stream('task'), stream('task'), stream('instance'), stream('task'), stream('instance'), stream('team')];
      const rounds = (n: number) => Array.from({ length: n }, (_, round) => streams.map((s, i) => ({ stream: s, count: 1 + ((round + i) % 3) }))).flat();
      const before = await append(rounds(8));
      const received = recorder();
      const subscription = await subscribe({ group, categories: ['task', 'instance', 'team'], from: initialCheckpoint }, received.handlers());
      const live = await append(rounds(4));
      const all = [...before, ...live];
      const last = (all.at(-1) as RecordedEvent).position;
      await until(() => subscription.covers(last), 'the last event to be covered');
      t.strictSame(ids(received.deliveries.map((d) => d.event)), ids(all), 'each event once');
      for (const s of streams) {
        const revisions = received.deliveries.filter((d) => d.event.stream === s).map((d) => d.event.revision);
        t.strictSame(revisions, [...revisions.keys()], `${s} in revision order`);
      }
      const byLane = new Map<string, number[]>();
      for (const d of received.deliveries) byLane.set(d.lane, [...(byLane.get(d.lane) ?? []), d.offset]);
      for (const [lane, offsets] of byLane)
        t.ok(
          offsets.every((o, i) => i === 0 || o > (offsets[i - 1] as number)),
          `${lane}: offsets increase`,
        );
      const original = new Map(all.map((e) => [e.id, e]));
      t.strictSame(
        received.deliveries.map((d) => d.event),
        received.deliveries.map((d) => original.get(d.event.id)),
        'events arrive as recorded',
      );
      t.same(received.errors, []);
    });

    t.test('only the categories asked for are delivered', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const tasks = [stream('task'), stream('task')];
      const events = await append([
        { stream: tasks[0] as string, count: 3 },
        { stream: stream('instance'), count: 2 },
        { stream: stream('alert'), count: 2 },
        { stream: tasks[1] as string, count: 2 },
        { stream: stream('drift'), count: 1 },
      ]);
      const received = recorder();
      const subscription = await subscribe({ group, categories: ['task'], from: initialCheckpoint }, received.handlers());
      const last = (events.at(-1) as RecordedEvent).position;
      await until(() => subscription.covers(last), 'the last event to be covered');
      t.strictSame(ids(received.deliveries.map((d) => d.event)), ids(events.filter((e) => categoryOfStream(e.stream) === 'task')));
    });

    t.test('subscribing again from the lanes handled resumes with no gap and no duplicate', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const streams = [stream('task'), stream('instance'), stream('task'), stream('task')];
      const first = await append(streams.map((s) => ({ stream: s, count: 5 })));
      const one = recorder();
      const a = await subscribe({ group, categories: ['task', 'instance'], from: initialCheckpoint }, one.handlers());
      await until(() => a.covers((first.at(-1) as RecordedEvent).position), 'the first events to be covered');
      await a.close();
      const checkpoint = one.checkpoint();
      const second = await append(streams.map((s) => ({ stream: s, count: 3 })));
      const two = recorder();
      const b = await subscribe({ group, categories: ['task', 'instance'], from: checkpoint }, two.handlers());
      await until(() => b.covers((second.at(-1) as RecordedEvent).position), 'the second events to be covered');
      t.strictSame(ids(one.deliveries.map((d) => d.event)), ids(first), 'first subscription: the first events');
      t.strictSame(ids(two.deliveries.map((d) => d.event)), ids(second), 'second subscription: exactly the events after its checkpoint');
      t.ok(
        two.deliveries.every((d) => d.offset > (checkpoint.lanes[d.lane] ?? -1)),
        'nothing at or below a checkpointed offset comes again',
      );
    });

    t.test('lanes the checkpoint does not name start from their beginning, whatever the group consumed before', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const events = await append([
        { stream: stream('task'), count: 4 },
        { stream: stream('task'), count: 4 },
      ]);
      const last = (events.at(-1) as RecordedEvent).position;
      const one = recorder();
      const a = await subscribe({ group, categories: ['task'], from: initialCheckpoint }, one.handlers());
      await until(() => a.covers(last), 'the first pass');
      await a.close();
      const two = recorder();
      const b = await subscribe({ group, categories: ['task'], from: initialCheckpoint }, two.handlers());
      await until(() => two.deliveries.length >= events.length, 'the second pass');
      await until(() => b.covers(last), 'the second pass to be covered');
      t.strictSame(ids(two.deliveries.map((d) => d.event)), ids(events), 'everything again, once');
    });

    t.test('closing in the middle and resuming from what was handled loses and repeats nothing', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const streams = [stream('task'), stream('instance'), stream('task')];
      const events = await append(Array.from({ length: 40 }, (_, i) => ({ stream: streams[i % 3] as string, count: 5 })));
      const one = recorder();
      const a = await subscribe(
        { group, categories: ['task', 'instance'], from: initialCheckpoint },
        one.handlers(() => sleep(5)),
      );
      await until(() => one.deliveries.length > 0, 'a first batch');
      await a.close();
      t.ok(one.deliveries.length > 0, `the first subscription handled ${one.deliveries.length} of ${events.length}`);
      const two = recorder();
      const b = await subscribe({ group, categories: ['task', 'instance'], from: one.checkpoint() }, two.handlers());
      await until(() => b.covers((events.at(-1) as RecordedEvent).position), 'everything to be covered');
      t.strictSame(ids([...one.deliveries, ...two.deliveries].map((d) => d.event)), ids(events), 'together: each event once');
    });

    t.test('a slow onBatch is never called while another is in flight', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const streams = [stream('task'), stream('instance'), stream('task'), stream('instance')];
      const received = recorder();
      const subscription = await subscribe(
        { group, categories: ['task', 'instance'], from: initialCheckpoint },
        received.handlers(() => sleep(30)),
      );
      const events: RecordedEvent[] = [];
      for (let i = 0; i < 10; i++) events.push(...(await append(streams.map((s) => ({ stream: s, count: 2 })))));
      await until(() => subscription.covers((events.at(-1) as RecordedEvent).position), 'everything to be covered');
      t.equal(received.maxActive, 1, 'one call at a time');
      t.strictSame(ids(received.deliveries.map((d) => d.event)), ids(events));
    });

    t.test('covers is false before the handler finished and true after', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const held = gate();
      let started = false;
      const received = recorder();
      const subscription = await subscribe(
        { group, categories: ['task'], from: initialCheckpoint },
        received.handlers(async () => {
          started = true;
          await held.opened;
        }),
      );
      const [event] = await append([{ stream: stream('task'), count: 1 }]);
      const position = (event as RecordedEvent).position;
      t.equal(await subscription.covers(position + 1), false, 'a position not yet in the log is not covered');
      await until(() => started, 'the handler to be called');
      t.equal(await subscription.covers(position), false, 'not while its handler runs');
      await sleep(50);
      t.equal(await subscription.covers(position), false, 'still not');
      held.open();
      await until(() => subscription.covers(position), 'covered once handled');
      t.equal(received.deliveries.length, 1);
    });

    t.test('lag counts what is not handled and reaches 0 when caught up', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const held = gate();
      const received = recorder();
      const events = await append([
        { stream: stream('task'), count: 4 },
        { stream: stream('instance'), count: 3 },
      ]);
      const last = (events.at(-1) as RecordedEvent).position;
      const subscription = await subscribe(
        { group, categories: ['task', 'instance'], from: initialCheckpoint },
        received.handlers(() => held.opened),
      );
      const behind = await subscription.lag();
      t.ok(behind.events > 0, `behind while held (${behind.events})`);
      held.open();
      await until(() => subscription.covers(last), 'everything to be covered');
      const lag = await subscription.lag();
      t.equal(lag.events, 0, 'caught up');
      t.ok(lag.head >= last, `head ${lag.head} is at least the last position ${last}`);
    });

    t.test('an error thrown by onBatch reaches onError once and stops delivery', async (t) => {
      const { append, subscribe, group, stream } = await fresh();
      const s = stream('task');
      const errors: Error[] = [];
      let calls = 0;
      const subscription = await subscribe(
        { group, categories: ['task'], from: initialCheckpoint },
        {
          onBatch: async () => {
            calls++;
            throw new Error('projector broke');
          },
          onError: (error) => errors.push(error),
        },
      );
      const first = await append([{ stream: s, count: 2 }]);
      await until(() => errors.length > 0, 'onError');
      await append([{ stream: s, count: 2 }]);
      await sleep(1500);
      t.equal(calls, 1, 'no batch after the failure');
      t.equal(errors.length, 1, 'onError once');
      t.match(errors[0]?.message, /projector broke/, 'the cause is in the message');
      t.equal(await subscription.covers((first[0] as RecordedEvent).position), false, 'nothing counts as handled');
    });
  });
};
