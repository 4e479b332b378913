import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { toApiError } from '../../api/errors.js';
import type { CommandContext, CommandEnvironment } from '../../commands/command-context.js';
import { ConcurrencyConflictError, handleCommand, PreconditionFailedError, type CommandHandlerDeps } from '../../commands/handle-command.js';
import type { Decider, DomainEvent } from '../../domain/shared/decider.js';
import { NotFoundError } from '../../domain/shared/errors.js';
import type { EventSchemaRegistry } from '../../events/event-schemas.js';
import { WrongExpectedRevisionError, type EventStore, type NewEvent } from '../../events/event-store.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { testMetadata } from '../events/event-metadata.js';
import { testKeys } from './test-keys.js';

/**
 * The command handler on its own: a counter decider, the embedded store, a fixed clock.
 * `Add` decides one `counter.added` per amount (none for an empty list).
 */
type Added = DomainEvent<'counter.added', { amount: number }>;
type Add = { readonly type: 'Add'; readonly amounts: readonly number[] };
const counter: Decider<Add, Added, number> = {
  initialState: () => 0,
  evolve: (total, event) => total + event.data.amount,
  decide: ({ amounts }) => amounts.map((amount) => ({ type: 'counter.added', data: { amount } })),
};

/** Every type is at version 3, so the metadata shows the version comes from the registry. */
const schemas: EventSchemaRegistry = { currentVersion: () => 3, validate: () => undefined, schemas: () => [] };

const clock = new Date('2026-03-04T05:06:07.089Z');

/** Fresh ids in sequence, so a test can tell generated ids from derived ones. */
const environment = (): CommandEnvironment => {
  let next = 0;
  return { now: () => clock, newId: () => `generated-${++next}` };
};

const ctx: CommandContext = {
  tenant: 'team-a',
  actor: { type: 'api_key', id: 'key-1' },
  requestId: 'req-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  clientIp: '10.0.0.1',
  userAgent: 'spec/1.0',
};
const withKey = (key: string, context: CommandContext = ctx): CommandContext => ({ ...context, idempotency: { key, requestHash: `hash-of-${key}` } });

const openStore = (t: Test): EventStore => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-handler-'));
  const store = openEmbeddedEventStore({ directory });
  t.teardown(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return store;
};

const depsOf = (store: EventStore, extra: Partial<CommandHandlerDeps> = {}): CommandHandlerDeps => ({
  store,
  schemas,
  env: environment(),
  ...testKeys(),
  ...extra,
});

const added = (amount: number, tenant = 'team-a'): NewEvent => ({
  id: `given-${amount}-${tenant}`,
  type: 'counter.added',
  tenant,
  data: { amount },
  metadata: testMetadata(),
});

/** `store` with its append replaced. */
const withAppend = (store: EventStore, append: EventStore['append']): EventStore => ({
  append,
  readStream: (stream, options) => store.readStream(stream, options),
  readAll: (options) => store.readAll(options),
  headPosition: () => store.headPosition(),
  subscribe: (after, handlers) => store.subscribe(after, handlers),
  close: () => store.close(),
});

/** The store, with every append it is asked for recorded and, while `conflicts` is positive, refused as a conflict. */
const conflicting = (store: EventStore, conflicts: number) => {
  const appends: (readonly NewEvent[])[] = [];
  let left = conflicts;
  const wrapped = withAppend(store, async (stream, events, expected) => {
    appends.push(events);
    if (left-- > 0) throw new WrongExpectedRevisionError(stream, expected, -1);
    return store.append(stream, events, expected);
  });
  return { store: wrapped, appends };
};

t.test('optimistic concurrency', async (t) => {
  t.test(
    'given a store where every append conflicts, when a command is handled, then it is tried 5 times and ends in a ConcurrencyConflictError',
    async (t) => {
      const store = openStore(t);
      const { store: refusing, appends } = conflicting(store, Infinity);
      const error = await handleCommand(depsOf(refusing), counter, 'counter-1', { type: 'Add', amounts: [1] }, ctx).catch((e: unknown) => e);
      t.type(error, ConcurrencyConflictError);
      t.match(error, { stream: 'counter-1', attempts: 5, code: 'concurrency_conflict' });
      t.equal(appends.length, 5, 'one append per attempt');
      t.equal(toApiError(error).status, 409, 'the API answers 409');
      t.equal(await store.headPosition(), 0, 'nothing was appended');
    },
  );

  t.test('given maxAttempts 2 and a store where every append conflicts, when a command is handled, then it gives up after 2 appends', async (t) => {
    const { store: refusing, appends } = conflicting(openStore(t), Infinity);
    const error = await handleCommand(depsOf(refusing, { maxAttempts: 2 }), counter, 'counter-1', { type: 'Add', amounts: [1] }, ctx).catch((e: unknown) => e);
    t.match(error, { attempts: 2 });
    t.equal(appends.length, 2);
  });

  t.test('given a stream that grows between read and append, when a command is handled, then the retry decides on the stream as it now is', async (t) => {
    const store = openStore(t);
    await store.append('counter-1', [added(1)], 'no_stream');
    let raced = false;
    const racing = withAppend(store, async (stream, events, expected) => {
      // Another writer gets in first, once.
      if (!raced) {
        raced = true;
        await store.append(stream, [added(10)], 0);
      }
      return store.append(stream, events, expected);
    });
    const result = await handleCommand(depsOf(racing), counter, 'counter-1', { type: 'Add', amounts: [5] }, ctx);
    t.equal(result.state, 16, 'the competing event is folded in');
    t.equal(result.revision, 2);
    t.strictSame(
      (await store.readStream('counter-1')).map((event) => event.data),
      [{ amount: 1 }, { amount: 10 }, { amount: 5 }],
    );
  });
});

t.test('an expected revision the caller names (If-Match)', async (t) => {
  t.test('given a stream at revision 1, when a command expects revision 0, then it is refused before deciding and nothing is appended', async (t) => {
    const store = openStore(t);
    await store.append('counter-1', [added(1), added(2)], 'no_stream');
    const head = await store.headPosition();
    const error = await handleCommand(depsOf(store), counter, 'counter-1', { type: 'Add', amounts: [5] }, { ...ctx, expectedRevision: 0 }).catch(
      (e: unknown) => e,
    );
    t.type(error, PreconditionFailedError);
    t.match(error, { stream: 'counter-1', expected: 0, actual: 1 });
    t.equal(toApiError(error).status, 412, 'the API answers 412');
    t.equal(await store.headPosition(), head);
  });

  t.test('given a stream that grows between read and append, when the command expects the revision it read, then it is not retried', async (t) => {
    const store = openStore(t);
    await store.append('counter-1', [added(1)], 'no_stream');
    const { store: racing, appends } = conflicting(store, 1);
    const error = await handleCommand(depsOf(racing), counter, 'counter-1', { type: 'Add', amounts: [5] }, { ...ctx, expectedRevision: 0 }).catch(
      (e: unknown) => e,
    );
    t.type(error, PreconditionFailedError);
    t.equal(appends.length, 1, 'one attempt: the caller decides again, not the handler');
  });

  t.test(
    'given a resource sharing its stream, when another write lands between read and append, then its own revision is checked again and the command goes through',
    async (t) => {
      const store = openStore(t);
      await store.append('counter-1', [added(1)], 'no_stream');
      const { store: racing, appends } = conflicting(store, 1);
      // The resource's revision is that of the stream's first event, whatever came after.
      const result = await handleCommand(
        depsOf(racing),
        counter,
        'counter-1',
        { type: 'Add', amounts: [5] },
        { ...ctx, expectedRevision: 0 },
        { revisionOf: () => 0 },
      );
      t.equal(appends.length, 2, 'decided again after the conflict');
      t.match(result, { state: 6, revision: 1 });
    },
  );

  t.test('given a stream at the revision expected, when a command is handled, then it is appended', async (t) => {
    const store = openStore(t);
    await store.append('counter-1', [added(1)], 'no_stream');
    const result = await handleCommand(depsOf(store), counter, 'counter-1', { type: 'Add', amounts: [5] }, { ...ctx, expectedRevision: 0 });
    t.match(result, { state: 6, revision: 1 });
  });
});

t.test('given a stream with history, when the decision is no events, then nothing is appended and the result says the stream is as it was', async (t) => {
  const store = openStore(t);
  await store.append('counter-1', [added(2), added(3)], 'no_stream');
  const head = await store.headPosition();
  const result = await handleCommand(depsOf(store), counter, 'counter-1', { type: 'Add', amounts: [] }, ctx);
  t.equal(await store.headPosition(), head, 'head unchanged');
  t.equal(result.state, 5);
  t.equal(result.revision, 1, 'the revision of its last event');
  t.equal(result.position, 0, 'no position: nothing was written');
  t.equal(result.occurredAt, testMetadata().occurred_at, 'the time of its last event, not the clock');
  t.strictSame(
    result.stream?.map((event) => event.id),
    ['given-2-team-a', 'given-3-team-a'],
  );
});

t.test('given no stream, when the decision is no events, then there is still no stream', async (t) => {
  const store = openStore(t);
  const result = await handleCommand(depsOf(store), counter, 'counter-1', { type: 'Add', amounts: [] }, ctx);
  t.match(result, { state: 0, revision: -1, position: 0, occurredAt: null });
  t.strictSame(result.stream, []);
  t.equal(await store.headPosition(), 0);
});

t.test("given another team's stream, when a command is handled for it, then it reads as not found and the decider never sees it", async (t) => {
  const store = openStore(t);
  await store.append('counter-1', [added(7, 'team-b')], 'no_stream');
  const head = await store.headPosition();
  const seen: number[] = [];
  const watched: typeof counter = { ...counter, decide: (command, state) => (seen.push(state), counter.decide(command, state)) };
  const error = await handleCommand(depsOf(store), watched, 'counter-1', { type: 'Add', amounts: [1] }, ctx).catch((e: unknown) => e);
  t.type(error, NotFoundError);
  t.match(error, { aggregate: 'counter' }, 'named by the stream category, nothing of the other team');
  t.equal(toApiError(error).status, 404, 'the API answers 404, as for a missing stream');
  t.strictSame(seen, [], 'decide was not called');
  t.equal(await store.headPosition(), head, 'nothing appended');
});

t.test(
  "given another team's stream under an id thought new, when a command is handled as newStream, then the conflict makes it read the stream and it is not found",
  async (t) => {
    const store = openStore(t);
    await store.append('counter-1', [added(7, 'team-b')], 'no_stream');
    const error = await handleCommand(depsOf(store), counter, 'counter-1', { type: 'Add', amounts: [1] }, ctx, { newStream: true }).catch((e: unknown) => e);
    t.type(error, NotFoundError);
    t.strictSame(
      (await store.readStream('counter-1')).map((event) => event.tenant),
      ['team-b'],
      'nothing appended',
    );
  },
);

t.test('event ids', async (t) => {
  /** Ids of the events one command appends to a fresh store. */
  const idsOf = async (t: Test, context: CommandContext, amounts = [1, 2]) => {
    const store = openStore(t);
    await handleCommand(depsOf(store), counter, 'counter-1', { type: 'Add', amounts }, context);
    return (await store.readStream('counter-1')).map((event) => event.id);
  };

  t.test('given an idempotency key, when the same command is run again, then its events get the same ids', async (t) => {
    const first = await idsOf(t, withKey('k1'));
    t.equal(first.length, 2);
    t.equal(new Set(first).size, 2, 'one id per event');
    t.strictSame(await idsOf(t, withKey('k1')), first, 'a rerun');
    t.strictSame(
      await idsOf(t, withKey('k1', { ...ctx, requestId: 'req-2', correlationId: 'corr-2', causationId: 'cause-2' })),
      first,
      'from another request, correlation and causation',
    );
    t.notSame(await idsOf(t, withKey('k2')), first, 'another key');
    t.notSame(await idsOf(t, withKey('k1', { ...ctx, actor: { type: 'api_key', id: 'key-2' } })), first, 'another actor');
    t.notSame(await idsOf(t, withKey('k1', { ...ctx, tenant: 'team-b' })), first, 'another team');
  });

  t.test('given an idempotency key and an append that conflicts once, when the command is retried, then the retry appends the same ids', async (t) => {
    const { store, appends } = conflicting(openStore(t), 1);
    await handleCommand(depsOf(store), counter, 'counter-1', { type: 'Add', amounts: [1, 2] }, withKey('k1'));
    t.equal(appends.length, 2);
    t.strictSame(
      appends[1]?.map((event) => event.id),
      appends[0]?.map((event) => event.id),
    );
  });

  t.test('given no idempotency key, when a command is handled, then its ids come from the environment', async (t) => {
    t.strictSame(await idsOf(t, ctx), ['generated-1', 'generated-2']);
  });
});

t.test('metadata', async (t) => {
  t.test('given a context with an idempotency key, when a command appends events, then each carries who, why and when', async (t) => {
    const store = openStore(t);
    const deps = depsOf(store);
    const result = await handleCommand(deps, counter, 'counter-1', { type: 'Add', amounts: [1, 2] }, withKey('k1'));
    const events = await store.readStream('counter-1');
    t.equal(events.length, 2);
    for (const event of events) {
      t.strictSame(event.metadata, {
        actor: { type: 'api_key', id: 'key-1' },
        correlation_id: 'corr-1',
        causation_id: 'cause-1',
        request_id: 'req-1',
        // Personal data of the person behind the key, sealed under that subject's key.
        client_ip: event.metadata.client_ip,
        user_agent: event.metadata.user_agent,
        occurred_at: clock.toISOString(),
        schema_version: 3,
        command: 'Add',
        idempotency: { key: 'k1', request_hash: 'hash-of-k1' },
      });
      t.equal(event.tenant, 'team-a');
      t.match(event.metadata.client_ip, /^bosun:erasable:v1:team-a:/);
      t.same(await deps.personal.reveal([event.metadata.client_ip, event.metadata.user_agent], 'team-a'), ['10.0.0.1', 'spec/1.0']);
    }
    t.equal(result.occurredAt, clock.toISOString());
  });

  t.test('given a context without an idempotency key, when a command appends an event, then its metadata has no idempotency', async (t) => {
    const store = openStore(t);
    await handleCommand(
      depsOf(store),
      counter,
      'counter-1',
      { type: 'Add', amounts: [1] },
      { ...ctx, requestId: null, causationId: null, clientIp: null, userAgent: null },
    );
    const [event] = await store.readStream('counter-1');
    t.notOk(event && 'idempotency' in event.metadata);
    t.match(event?.metadata, { request_id: null, causation_id: null, client_ip: null, user_agent: null, correlation_id: 'corr-1' });
  });
});
