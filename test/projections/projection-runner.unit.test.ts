import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import type { EventStore, NewEvent } from '../../events/event-store.js';
import { createEmbeddedBus } from '../../infra/embedded-bus.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { ForeignReadStoreError, ProjectionRunner } from '../../projections/projection-runner.js';
import type { Projector } from '../../projections/projector.js';
import type { ReadDocument, ReadStore } from '../../projections/read-store.js';
import { testMetadata } from '../events/event-metadata.js';

const logger = pino({ enabled: false });

type Tally = ReadDocument & { readonly applied: number };

/**
 * Counts every event of a stream it is handed, with no revision guard of its own: a doubled
 * application shows as a count above the stream's length.
 */
const tallyProjector = (name: string, failOn: (n: number) => boolean = () => false): Projector => ({
  name,
  collections: [{ name, indexes: [['tenant']] }],
  categories: ['note'],
  apply: async (event, store) => {
    const { n } = event.data as { n: number };
    if (failOn(n)) throw new Error(`cannot apply note ${n}`);
    const tallies = store.collection<Tally>(name);
    const current = await tallies.get(event.stream);
    await tallies.put({
      id: event.stream,
      tenant: event.tenant,
      seq: current?.seq ?? event.position,
      revision: event.revision,
      applied: (current?.applied ?? 0) + 1,
    });
  },
});

const note = (n: number): NewEvent => ({ id: randomUUID(), type: 'note.written', tenant: 'team-a', data: { n }, metadata: testMetadata() });

const setUp = () => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-runner-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  const events = openEmbeddedEventStore({ directory });
  const readFile = join(directory, 'read-models.sqlite');
  t.teardown(() => events.close());
  const runner = (projectors: Projector[], store: ReadStore) =>
    new ProjectionRunner({ group: 'test', bus: createEmbeddedBus(events), store, projectors, events, logger, progressIntervalMs: 0 });
  const appendNotes = async (stream: string, from: number, count: number) => {
    let position = 0;
    for (let n = from; n < from + count; n++) position = (await events.append(stream, [note(n)], 'any')).position;
    return position;
  };
  return { events: events as EventStore, readFile, runner, appendNotes };
};

t.test('given notes in the log, when the runner starts, then it catches up and commits the checkpoint with the documents', async (t) => {
  const { readFile, runner, appendNotes } = setUp();
  await appendNotes('note-1', 0, 30);
  const head = await appendNotes('note-2', 0, 20);
  const store = openEmbeddedReadStore({ file: readFile });
  const running = runner([tallyProjector('tallies')], store);
  await running.start();
  t.equal((await store.collection<Tally>('tallies').get('note-1'))?.applied, 30);
  t.equal((await store.collection<Tally>('tallies').get('note-2'))?.applied, 20);
  t.match(await store.checkpoint('tallies'), { position: head, lanes: { log: head } });
  t.match(running.status(), { caughtUp: true, position: head, projections: [{ name: 'tallies', state: 'live', failure: null }] });
  await running.stop();
  await store.close();
});

t.test('given a runner stopped and started again, then nothing is applied twice and nothing is missed', async (t) => {
  const { readFile, runner, appendNotes } = setUp();
  await appendNotes('note-1', 0, 40);
  let store = openEmbeddedReadStore({ file: readFile });
  let running = runner([tallyProjector('tallies')], store);
  await running.start();
  await running.stop();
  await store.close();
  const head = await appendNotes('note-1', 40, 25);
  store = openEmbeddedReadStore({ file: readFile });
  running = runner([tallyProjector('tallies')], store);
  await running.start();
  t.equal((await store.collection<Tally>('tallies').get('note-1'))?.applied, 65, 'each event applied exactly once across restarts');
  t.equal((await store.checkpoint('tallies')).position, head);
  await running.stop();
  await store.close();
});

t.test('given a read store built from a longer log, when a runner of a fresh log starts on it, then it refuses and applies nothing', async (t) => {
  const other = setUp();
  await other.appendNotes('note-1', 0, 50);
  const store = openEmbeddedReadStore({ file: other.readFile });
  const built = other.runner([tallyProjector('tallies')], store);
  await built.start();
  await built.stop();
  const fresh = setUp();
  await fresh.appendNotes('note-1', 0, 3);
  const running = fresh.runner([tallyProjector('tallies')], store);
  await t.rejects(running.start(), new ForeignReadStoreError('tallies', 50, 3));
  t.match(running.status(), {
    caughtUp: false,
    error: /checkpoint of projection tallies is at position 50, beyond the log's head 3: the read store was built from another event log/,
  });
  await fresh.appendNotes('note-1', 3, 60);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal((await store.collection<Tally>('tallies').get('note-1'))?.applied, 50, "the other log's documents are left as they were");
  t.equal((await store.checkpoint('tallies')).position, 50);
  await running.stop();
  await store.close();
});

t.test('given live appends, when a read waits for a position, then it returns once that position is applied', async (t) => {
  const { readFile, runner, appendNotes } = setUp();
  const store = openEmbeddedReadStore({ file: readFile });
  const running = runner([tallyProjector('tallies')], store);
  await running.start();
  const position = await appendNotes('note-9', 0, 5);
  t.equal(await running.waitFor(position, 5000), true);
  t.equal((await store.collection<Tally>('tallies').get('note-9'))?.applied, 5);
  t.equal(await running.waitFor(position + 1000, 50), false, 'a position not yet written is not reached');
  await running.stop();
  await store.close();
});

t.test('given a projector that fails on an event, then that projection stops there and reports it, and the others go on', async (t) => {
  const { readFile, runner, appendNotes } = setUp();
  await appendNotes('note-1', 0, 10);
  const store = openEmbeddedReadStore({ file: readFile });
  const running = runner([tallyProjector('fragile', (n) => n === 6), tallyProjector('sturdy')], store);
  await running.start();
  const [fragile, sturdy] = running.status().projections;
  t.match(fragile, { name: 'fragile', state: 'stopped', failure: { event_type: 'note.written', stream: 'note-1', error: 'cannot apply note 6' } });
  t.match(sturdy, { name: 'sturdy', state: 'live', failure: null });
  t.equal((await store.collection<Tally>('fragile').get('note-1'))?.applied, 6, 'applied up to the failing event, not past it');
  t.equal((await store.collection<Tally>('sturdy').get('note-1'))?.applied, 10);
  const stoppedAt = (await store.checkpoint('fragile')).position;
  t.equal(stoppedAt, fragile?.failure?.position ? fragile.failure.position - 1 : -1, 'its checkpoint stays before the failing event');
  await running.stop();

  // Once the projector is fixed, it resumes at the event it failed on: nothing was skipped.
  const fixed = runner([tallyProjector('fragile'), tallyProjector('sturdy')], store);
  await fixed.start();
  t.equal((await store.collection<Tally>('fragile').get('note-1'))?.applied, 10);
  t.equal((await store.collection<Tally>('sturdy').get('note-1'))?.applied, 10, 'the other projection is not applied again');
  await fixed.stop();
  await store.close();
});

t.test('given a projection added later, then it starts from the beginning while the others resume', async (t) => {
  const { readFile, runner, appendNotes } = setUp();
  await appendNotes('note-1', 0, 12);
  const store = openEmbeddedReadStore({ file: readFile });
  const first = runner([tallyProjector('old')], store);
  await first.start();
  await first.stop();
  const second = runner([tallyProjector('old'), tallyProjector('new')], store);
  await second.start();
  t.equal((await store.collection<Tally>('old').get('note-1'))?.applied, 12);
  t.equal((await store.collection<Tally>('new').get('note-1'))?.applied, 12);
  await second.stop();
  await store.close();
});
