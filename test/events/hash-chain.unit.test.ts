/**
 * withHashChain: every event appended through it carries `chain: { prev, hash }`, the hash
 * that of its stored form, `prev` that of the stream's previous event, whatever the
 * expected revision, across appends of several events, concurrent appends and a reopen
 * (which forgets every stream's last event), and after events written without a chain.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { verifyLog } from '../../events/audit-verify.js';
import type { EventStore, NewEvent, RecordedEvent } from '../../events/event-store.js';
import { eventHash, withHashChain } from '../../events/hash-chain.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { testMetadata } from './event-metadata.js';

let counter = 0;
const event = (data: unknown = { n: counter }): NewEvent => ({
  id: `event-${++counter}`,
  type: 'test.happened',
  tenant: 'team-a',
  data,
  metadata: testMetadata(),
});

const tempDir = (t: Test): string => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-hash-chain-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
};

const everything = async (store: EventStore): Promise<RecordedEvent[]> => store.readAll({ maxCount: 100_000 });

/** Checks every stream's chain as verify does, by hand: each hash recomputed, each prev the previous event's hash. */
const checkChains = (t: Test, events: readonly RecordedEvent[]): void => {
  const last = new Map<string, string>();
  for (const recorded of events) {
    const chain = recorded.metadata.chain;
    t.ok(chain, `${recorded.stream}@${recorded.revision} is chained`);
    if (!chain) continue;
    t.equal(chain.hash, eventHash(recorded), `${recorded.stream}@${recorded.revision}: its hash covers it as stored`);
    t.equal(chain.prev, last.get(recorded.stream) ?? null, `${recorded.stream}@${recorded.revision}: prev is the previous event's hash`);
    last.set(recorded.stream, chain.hash);
  }
};

t.test('appends by every kind of expected revision are chained, and the chain goes on after a reopen', async (t) => {
  const directory = tempDir(t);
  const first = withHashChain(openEmbeddedEventStore({ directory }));
  await first.append('thing-a', [event(), event()], 'no_stream');
  await first.append('thing-a', [event()], 1);
  await first.append('thing-b', [event()], 'any');
  await first.append('thing-b', [event(), event()], 'any');
  // Two writers of one stream at once, neither naming a revision.
  await Promise.all([first.append('thing-c', [event()], 'any'), first.append('thing-c', [event()], 'any'), first.append('thing-c', [event()], 'any')]);
  // Undefined fields are not stored, so they are not hashed either.
  await first.append('thing-a', [event({ kept: 1, dropped: undefined })], 2);
  await first.close();

  const second = withHashChain(openEmbeddedEventStore({ directory }));
  t.teardown(() => second.close());
  await second.append('thing-a', [event()], 3);
  await second.append('thing-b', [event()], 'any');
  await second.append('thing-c', [event()], 2);
  const events = await everything(second);
  t.equal(events.length, 13);
  checkChains(t, events);
  t.match(await verifyLog(second, { seals: { source: 'log', list: [] } }), { intact: true, events: 13, streams: 3, unchained: 0, problems: 0 });
});

t.test('a refused append chains nothing and the next one links to the true last event', async (t) => {
  const store = withHashChain(openEmbeddedEventStore({ directory: tempDir(t) }));
  t.teardown(() => store.close());
  await store.append('thing-a', [event()], 'no_stream');
  await t.rejects(store.append('thing-a', [event()], 5), { code: 'wrong_expected_revision' });
  await t.rejects(store.append('thing-a', [event()], 'no_stream'), { code: 'wrong_expected_revision' });
  await store.append('thing-a', [event()], 0);
  checkChains(t, await everything(store));
});

t.test('the first chained event links to an event written before the chain existed', async (t) => {
  const directory = tempDir(t);
  const raw = openEmbeddedEventStore({ directory });
  await raw.append('thing-a', [event(), event()], 'no_stream');
  const store = withHashChain(raw);
  t.teardown(() => store.close());
  await store.append('thing-a', [event()], 1);
  const [, unchained, chained] = await everything(store);
  t.notOk(unchained?.metadata.chain, 'written before: no chain');
  t.equal(chained?.metadata.chain?.prev, eventHash(unchained as RecordedEvent), 'linked to the hash of the unchained event as stored');
  t.match(await verifyLog(store, { seals: { source: 'log', list: [] } }), { intact: true, unchained: 2, problems: 0 });
});
