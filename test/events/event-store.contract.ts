import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import {
  WrongExpectedRevisionError,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
} from '../../events/event-store.js';

export type MadeStore = { readonly store: EventStore; readonly cleanup: () => Promise<void> };

const metadata = (n: number): EventMetadata => ({
  actor: { type: 'user', id: 'user-1' },
  correlation_id: `correlation-${n}`,
  causation_id: null,
  request_id: `request-${n}`,
  client_ip: '203.0.113.7',
  user_agent: 'contract/1.0',
  occurred_at: '2026-01-01T00:00:00.000Z',
  schema_version: 1,
});

const newEvent = (n = 0, tenant = 'team-a'): NewEvent => ({ id: randomUUID(), type: 'contract.happened', tenant, data: { n }, metadata: metadata(n) });
const newEvents = (count: number, from = 0): NewEvent[] => Array.from({ length: count }, (_, i) => newEvent(from + i));

/** Resolves with what `promise` rejected with; fails if it resolved. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );

/** Waits for a condition an asynchronous producer will make true; a hang fails the test instead. */
const until = async (condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const increasing = (values: readonly number[]): boolean => values.every((value, i) => i === 0 || value > (values[i - 1] as number));

/**
 * Every event-store adapter passes this suite. Streams are unique per run, and assertions only
 * look at this run's streams, so it can run against a shared server.
 */
export const eventStoreContract = (t: Test, name: string, makeStore: () => Promise<MadeStore>) => {
  t.test(`${name}: event-store contract`, async (t) => {
    const fresh = async () => {
      const made = await makeStore();
      t.teardown(made.cleanup);
      const prefix = `contract${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      let streams = 0;
      const mine = (event: RecordedEvent) => event.stream.startsWith(`${prefix}-`);
      return { store: made.store, stream: () => `${prefix}-${++streams}`, mine };
    };

    /** Subscribes and keeps this test's events; `errors` and `caughtUp` record the other callbacks. */
    const collect = (store: EventStore, after: number, mine: (e: RecordedEvent) => boolean) => {
      const received: RecordedEvent[] = [];
      const all: number[] = [];
      const caughtUp: { position: number; mineSoFar: number }[] = [];
      const errors: Error[] = [];
      const subscription: Subscription = store.subscribe(after, {
        onEvent: (event) => {
          all.push(event.position);
          if (mine(event)) received.push(event);
        },
        onCaughtUp: (position) => caughtUp.push({ position, mineSoFar: received.length }),
        onError: (error) => errors.push(error),
      });
      return { received, all, caughtUp, errors, subscription };
    };

    t.test('no_stream creates a stream at revision 0', async (t) => {
      const { store, stream } = await fresh();
      const s = stream();
      const result = await store.append(s, [newEvent()], 'no_stream');
      t.equal(result.revision, 0);
      t.ok(result.position > 0, 'positions start after 0');
      const read = await store.readStream(s);
      t.same(
        read.map((e) => [e.revision, e.position]),
        [[0, result.position]],
      );
    });

    t.test('no_stream on an existing stream is refused with its actual revision', async (t) => {
      const { store, stream } = await fresh();
      const s = stream();
      await store.append(s, newEvents(2), 'no_stream');
      const error = await rejection(store.append(s, [newEvent()], 'no_stream'));
      t.ok(error instanceof WrongExpectedRevisionError, 'a WrongExpectedRevisionError');
      t.match(error, { stream: s, expected: 'no_stream', actual: 1, code: 'wrong_expected_revision' });
      t.equal((await store.readStream(s)).length, 2, 'nothing was appended');
    });

    t.test('an exact revision succeeds when current and conflicts otherwise', async (t) => {
      const { store, stream } = await fresh();
      const s = stream();
      await store.append(s, [newEvent()], 'no_stream');
      t.equal((await store.append(s, [newEvent()], 0)).revision, 1);
      t.match(await rejection(store.append(s, [newEvent()], 0)), { expected: 0, actual: 1 }, 'stale revision');
      t.match(await rejection(store.append(s, [newEvent()], 5)), { expected: 5, actual: 1 }, 'revision from the future');
      const unknown = await rejection(store.append(stream(), [newEvent()], 0));
      t.ok(unknown instanceof WrongExpectedRevisionError);
      t.match(unknown, { expected: 0, actual: -1 }, 'a stream that does not exist has revision -1');
      t.equal((await store.readStream(s)).length, 2);
    });

    t.test('any appends whether or not the stream exists', async (t) => {
      const { store, stream } = await fresh();
      const s = stream();
      t.equal((await store.append(s, [newEvent()], 'any')).revision, 0);
      t.equal((await store.append(s, newEvents(2), 'any')).revision, 2);
    });

    t.test('revisions are 0-based and consecutive across appends', async (t) => {
      const { store, stream } = await fresh();
      const s = stream();
      t.equal((await store.append(s, newEvents(3), 'no_stream')).revision, 2);
      t.equal((await store.append(s, newEvents(2), 2)).revision, 4);
      t.same(
        (await store.readStream(s)).map((e) => e.revision),
        [0, 1, 2, 3, 4],
      );
    });

    t.test('positions strictly increase in log order, across streams', async (t) => {
      const { store, stream, mine } = await fresh();
      const [a, b] = [stream(), stream()];
      const before = await store.headPosition();
      const results = [
        await store.append(a, newEvents(2), 'no_stream'),
        await store.append(b, [newEvent()], 'no_stream'),
        await store.append(a, newEvents(3), 1),
        await store.append(b, [newEvent()], 0),
      ];
      t.ok(increasing(results.map((r) => r.position)), 'append results');
      const logged = (await store.readAll({ after: before })).filter(mine);
      t.same(
        logged.map((e) => e.stream),
        [a, a, b, a, a, a, b],
        'log order is append order',
      );
      t.ok(increasing(logged.map((e) => e.position)), 'log positions');
      t.same(
        logged.filter((e) => e.stream === a).map((e) => e.position),
        (await store.readStream(a)).map((e) => e.position),
        'a stream read reports the same positions as the log',
      );
      t.equal(logged.at(-1)?.position, results.at(-1)?.position, 'an append reports the position of its last event');
    });

    t.test('readStream from a revision, with maxCount', async (t) => {
      const { store, stream } = await fresh();
      const s = stream();
      await store.append(s, newEvents(5), 'no_stream');
      const revisions = async (options: { fromRevision?: number; maxCount?: number }) => (await store.readStream(s, options)).map((e) => e.revision);
      t.same(await revisions({ fromRevision: 2 }), [2, 3, 4]);
      t.same(await revisions({ maxCount: 2 }), [0, 1]);
      t.same(await revisions({ fromRevision: 3, maxCount: 1 }), [3]);
      t.same(await revisions({ fromRevision: 10 }), []);
    });

    t.test('readStream of an unknown stream is empty', async (t) => {
      const { store, stream } = await fresh();
      t.same(await store.readStream(stream()), []);
    });

    t.test('readAll reads strictly after a position, in pages', async (t) => {
      const { store, stream, mine } = await fresh();
      const [a, b] = [stream(), stream()];
      const before = await store.headPosition();
      const positions: number[] = [];
      for (let i = 0; i < 5; i++) {
        const s = i % 2 ? b : a;
        positions.push((await store.append(s, [newEvent(i)], 'any')).position);
      }
      const paged: RecordedEvent[] = [];
      let after = before;
      while (paged.filter(mine).length < 5) {
        const page = await store.readAll({ after, maxCount: 2 });
        t.ok(page.length > 0 && page.length <= 2, 'a page holds at most maxCount events');
        if (page.length === 0) break;
        t.ok(
          page.every((e) => e.position > after),
          'a page starts after `after`',
        );
        paged.push(...page);
        after = page.at(-1)?.position ?? after;
      }
      t.same(
        paged.filter(mine).map((e) => e.position),
        positions,
        'paging finds every event once, in order',
      );
      t.ok(increasing(paged.map((e) => e.position)));
      const fromMiddle = (await store.readAll({ after: positions[2] })).filter(mine);
      t.same(
        fromMiddle.map((e) => e.position),
        positions.slice(3),
        'after is exclusive',
      );
      t.same(
        (await store.readAll({ after: before })).filter(mine).map((e) => e.data),
        [0, 1, 2, 3, 4].map((n) => ({ n })),
        'maxCount defaults to a page that holds them all',
      );
    });

    t.test('headPosition is the position of the last event in the log', async (t) => {
      const { store, stream } = await fresh();
      const before = await store.headPosition();
      t.ok(before >= 0);
      const result = await store.append(stream(), newEvents(2), 'no_stream');
      const head = await store.headPosition();
      t.ok(head >= result.position && result.position > before, 'head moved to (at least) the last append');
      t.ok(
        (await store.readAll({ after: before })).some((e) => e.position === result.position),
        'the last append is in the log',
      );
    });

    t.test('id, tenant, data and metadata round-trip exactly', async (t) => {
      const { store, stream, mine } = await fresh();
      const s = stream();
      const event: NewEvent = {
        id: randomUUID(),
        type: 'contract.round_tripped',
        tenant: 'team-ü',
        data: { text: 'héllo "world"\n\u2603', n: 1.5, big: 9007199254740991, neg: -3, yes: true, nothing: null, list: [1, 'two', { three: [3] }], empty: {} },
        metadata: {
          ...metadata(7),
          actor: { type: 'api_key', id: 'key-9' },
          causation_id: randomUUID(),
          user_agent: null,
          idempotency: { key: 'idem-1', request_hash: 'abc123' },
        },
      };
      const before = await store.headPosition();
      const result = await store.append(s, [event], 'no_stream');
      const expected: RecordedEvent = { ...event, stream: s, revision: 0, position: result.position };
      t.strictSame(await store.readStream(s), [expected], 'readStream');
      t.strictSame((await store.readAll({ after: before })).filter(mine), [expected], 'readAll');
    });

    t.test('a retried append with the same event ids succeeds once', async (t) => {
      const { store, stream } = await fresh();
      const s = stream();
      const first = newEvents(2);
      const original = await store.append(s, first, 'no_stream');
      t.same(await store.append(s, first, 'no_stream'), original, 'a retry of the creation returns the original result');
      const next = [newEvent(3)];
      const appended = await store.append(s, next, 1);
      t.same(await store.append(s, next, 1), appended, 'a retry at an exact revision returns the original result');
      t.same(
        (await store.readStream(s)).map((e) => e.id),
        [...first, ...next].map((e) => e.id),
        'nothing was stored twice',
      );
    });

    t.test('50 concurrent appends at one expected revision: one wins per revision, no gaps', async (t) => {
      const { store, stream } = await fresh();
      const s = stream();
      await store.append(s, [newEvent()], 'no_stream');
      const writers = newEvents(50, 1);
      const firstRound = await Promise.allSettled(writers.map((event) => store.append(s, [event], 0)));
      const winners = firstRound.filter((r) => r.status === 'fulfilled');
      t.equal(winners.length, 1, 'exactly one append at revision 0 wins');
      t.ok(
        firstRound.every((r) => r.status === 'fulfilled' || (r.reason instanceof WrongExpectedRevisionError && r.reason.actual >= 1)),
        'the others conflict',
      );
      // Losers retry from what they read, as a command handler does.
      const pending = writers.filter((_, i) => firstRound[i]?.status === 'rejected');
      await Promise.all(
        pending.map(async (event) => {
          for (;;) {
            const last = (await store.readStream(s)).at(-1)?.revision ?? -1;
            try {
              return await store.append(s, [event], last);
            } catch (error) {
              if (!(error instanceof WrongExpectedRevisionError)) throw error;
            }
          }
        }),
      );
      const stored = await store.readStream(s);
      t.same(
        stored.map((e) => e.revision),
        Array.from({ length: 51 }, (_, i) => i),
        'revisions 0..50 without gaps',
      );
      t.same(new Set(stored.slice(1).map((e) => e.id)), new Set(writers.map((e) => e.id)), 'every writer appended exactly once');
    });

    t.test('a subscription from 0 delivers everything in order, then live events', async (t) => {
      const { store, stream, mine } = await fresh();
      const s = stream();
      await store.append(s, newEvents(2), 'no_stream');
      await store.append(s, [newEvent(2)], 1);
      const sub = collect(store, 0, mine);
      t.teardown(() => sub.subscription.close());
      await until(() => sub.received.length === 3, 'stored events');
      await store.append(s, newEvents(2, 3), 2);
      await until(() => sub.received.length === 5, 'live events');
      t.same(
        sub.received.map((e) => e.revision),
        [0, 1, 2, 3, 4],
      );
      t.same(
        sub.received.map((e) => e.position),
        (await store.readStream(s)).map((e) => e.position),
      );
      t.ok(increasing(sub.all), 'every delivered position increases');
      t.same(sub.errors, []);
    });

    t.test('onCaughtUp is called once stored events were delivered', async (t) => {
      const { store, stream, mine } = await fresh();
      const before = await store.headPosition();
      const last = await store.append(stream(), newEvents(3), 'no_stream');
      const sub = collect(store, before, mine);
      t.teardown(() => sub.subscription.close());
      await until(() => sub.caughtUp.length > 0, 'onCaughtUp');
      t.equal(sub.caughtUp[0]?.mineSoFar, 3, 'after every stored event');
      t.ok((sub.caughtUp[0]?.position ?? 0) >= last.position, 'with a position at or after the last one delivered');
    });

    t.test('a subscription from a checkpoint, with appends going on: no gap, no duplicate', async (t) => {
      const { store, stream, mine } = await fresh();
      const streams = [stream(), stream(), stream()];
      const before = await store.headPosition();
      for (const s of streams) await store.append(s, newEvents(4), 'no_stream');
      // The sixth of twelve stored events: six stored ones and all the concurrent ones come after it.
      const checkpoint = (await store.readAll({ after: before })).filter(mine)[5]?.position ?? 0;
      const sizes = Array.from({ length: 10 }, (_, i) => (i % 3) + 1);
      const expected = 6 + streams.length * sizes.reduce((a, b) => a + b, 0);
      const writing = Promise.all(
        streams.map(async (s) => {
          for (const size of sizes) await store.append(s, newEvents(size), 'any');
        }),
      );
      const sub = collect(store, checkpoint, mine);
      t.teardown(() => sub.subscription.close());
      await writing;
      await until(() => sub.received.length >= expected, 'every event after the checkpoint');
      const logged: number[] = [];
      for (let after = checkpoint, page = await store.readAll({ after }); page.length > 0; page = await store.readAll({ after })) {
        logged.push(...page.filter(mine).map((e) => e.position));
        after = page.at(-1)?.position ?? after;
      }
      t.equal(logged.length, expected);
      t.same(
        sub.received.map((e) => e.position),
        logged,
        'exactly the log after the checkpoint, in order',
      );
      t.ok(increasing(sub.all), 'no duplicate, no reordering');
    });

    t.test('close, then resubscribe from the last checkpoint: exactly the rest', async (t) => {
      const { store, stream, mine } = await fresh();
      const s = stream();
      const before = await store.headPosition();
      await store.append(s, newEvents(10), 'no_stream');
      const first = collect(store, before, mine);
      await until(() => first.received.length >= 4, 'some events');
      await first.subscription.close();
      const seen = first.received.length;
      await store.append(s, newEvents(5, 10), 9);
      await new Promise((resolve) => setTimeout(resolve, 50));
      t.equal(first.received.length, seen, 'nothing is delivered after close resolved');
      const checkpoint = first.all.at(-1) ?? before;
      const second = collect(store, checkpoint, mine);
      t.teardown(() => second.subscription.close());
      await until(() => first.received.length + second.received.length >= 15, 'the rest');
      const together = [...first.received, ...second.received];
      t.same(
        together.map((e) => e.revision),
        Array.from({ length: 15 }, (_, i) => i),
        'every event exactly once',
      );
    });

    t.test('an error in onEvent stops the subscription and reaches onError', async (t) => {
      const { store, stream, mine } = await fresh();
      const s = stream();
      const before = await store.headPosition();
      await store.append(s, newEvents(3), 'no_stream');
      const delivered: number[] = [];
      const errors: Error[] = [];
      const subscription = store.subscribe(before, {
        onEvent: (event) => {
          if (!mine(event)) return;
          delivered.push(event.revision);
          if (event.revision === 1) throw new Error('projection failed');
        },
        onError: (error) => errors.push(error),
      });
      t.teardown(() => subscription.close());
      await until(() => errors.length > 0, 'onError');
      await store.append(s, [newEvent()], 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
      t.same(delivered, [0, 1], 'no delivery after the failure');
      t.equal(errors.length, 1);
      t.match(errors[0]?.message, /projection failed/);
    });
  });
};
