import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { historyPage, type Wanted } from '../../api/routes/history.js';
import { streamResources } from '../../api/stream-resources.js';
import { FoldSnapshots, snapshotEvery, viewAt } from '../../api/time-travel.js';
import type { EventStore, NewEvent } from '../../events/event-store.js';
import { instanceStream } from '../../events/streams.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { uuidv7 } from '../../infra/ids.js';
import { testMetadata } from '../events/event-metadata.js';

const spec = (timeout: number) => ({
  skills: [],
  runtime_version: '1.4.0',
  settings: { timeout },
  resources: { cpus: 2, memory_mb: null, ports: [], region: null },
  max_concurrent_tasks: 1,
});

/** Revision `r` occurred `r` seconds after the start of 2026; from revision 2 on, its spec's timeout is `r`. */
const occurredAt = (revision: number) => new Date(Date.UTC(2026, 0, 1) + revision * 1000).toISOString();

const longInstance = async (t: { teardown: (fn: () => Promise<void>) => void }, count: number) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-time-travel-'));
  const store = openEmbeddedEventStore({ directory });
  t.teardown(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  const id = uuidv7();
  const event = (revision: number, type: string, data: object): NewEvent => ({
    id: uuidv7(),
    type,
    tenant: 'team-1',
    data,
    metadata: { ...testMetadata(), occurred_at: occurredAt(revision) },
  });
  const history = [
    event(0, 'instance.deploy_requested', { instance_id: id, name: 'long', provider: 'local', spec: spec(0) }),
    event(1, 'instance.provisioned', { endpoint: 'http://127.0.0.1:9000' }),
    ...Array.from({ length: count - 2 }, (_, i) => event(i + 2, 'instance.spec_changed', { spec: spec(i + 2) })),
  ];
  await store.append(instanceStream(id), history, 'no_stream');
  const [first] = await store.readStream(instanceStream(id), { maxCount: 1 });
  // Counts the events each read takes from the store.
  let read = 0;
  const counted: Pick<EventStore, 'readStream'> = {
    readStream: async (stream, options) => {
      const events = await store.readStream(stream, options);
      read += events.length;
      return events;
    },
  };
  return { id, stream: instanceStream(id), firstPosition: first?.position ?? 0, events: counted, readSince: () => read };
};

type Shown = { revision: number; spec: { settings: { timeout: number } } } | null;

t.test('given an instance stream of 2,500 events, when it is read as of moments in random order, then each answer is the fold up to that moment', async (t) => {
  const count = 2500;
  const instance = await longInstance(t, count);
  const snapshots = new FoldSnapshots();
  const revisions = [2400, 5, 1500, 999, 1000, 2499, 0, 1999, 2000, 1234, 2001, 998];
  for (const revision of revisions) {
    const byPosition = (await viewAt(instance.events, snapshots, instance.stream, streamResources.instances, instance.id, {
      position: instance.firstPosition + revision,
    })) as Shown;
    t.match(byPosition, { revision, spec: { settings: { timeout: revision > 1 ? revision : 0 } } }, `as of the position of revision ${revision}`);
    // Half a second after the event: still that revision, not the next.
    const byTime = (await viewAt(instance.events, snapshots, instance.stream, streamResources.instances, instance.id, {
      time: Date.parse(occurredAt(revision)) + 500,
    })) as Shown;
    t.equal(byTime?.revision, revision, `as of half a second after revision ${revision}`);
  }
  const before = await viewAt(instance.events, snapshots, instance.stream, streamResources.instances, instance.id, { time: Date.parse(occurredAt(0)) - 1 });
  t.equal(before, null, 'nothing before its first event');
});

t.test('given an instance stream read once to its end, when it is read again as of its end, then fewer events than a snapshot interval are read', async (t) => {
  const count = 3 * snapshotEvery + 10;
  const instance = await longInstance(t, count);
  const snapshots = new FoldSnapshots();
  const end = { position: instance.firstPosition + count - 1 };
  await viewAt(instance.events, snapshots, instance.stream, streamResources.instances, instance.id, end);
  t.ok(instance.readSince() >= count, 'the first read folds the whole stream');
  const afterFirst = instance.readSince();
  const again = (await viewAt(instance.events, snapshots, instance.stream, streamResources.instances, instance.id, end)) as Shown;
  t.equal(again?.revision, count - 1, 'the same answer');
  t.ok(instance.readSince() - afterFirst < snapshotEvery, `the second read takes ${instance.readSince() - afterFirst} events from the store`);

  // Room for the first instance's snapshots only.
  const forgetful = new FoldSnapshots(Math.floor(count / snapshotEvery));
  await viewAt(instance.events, forgetful, instance.stream, streamResources.instances, instance.id, end);
  const other = await longInstance(t, snapshotEvery + 10);
  await viewAt(other.events, forgetful, other.stream, streamResources.instances, other.id, { position: other.firstPosition + snapshotEvery + 9 });
  const beforeForgotten = instance.readSince();
  await viewAt(instance.events, forgetful, instance.stream, streamResources.instances, instance.id, end);
  t.ok(instance.readSince() - beforeForgotten >= count, 'holding few snapshots, reading another resource lets the first go: it is folded whole again');
});

t.test('given an instance stream of 600 events, when its history is paged 100 at a time either way, then every wanted event once, in order', async (t) => {
  const count = 600;
  const instance = await longInstance(t, count);
  const all: Wanted = { about: () => true };
  const revisions = async (direction: 'after' | 'before', wanted: Wanted) => {
    const seen: number[] = [];
    for (let from: number | undefined, pages = 0; pages < 10; pages++) {
      const found = await historyPage(instance.events, instance.stream, wanted, { limit: 100, direction, ...(from === undefined ? {} : { from }) });
      seen.push(...found.slice(0, 100).map((event) => event.revision));
      if (found.length <= 100) break;
      from = seen.at(-1);
    }
    return seen;
  };
  const ascending = Array.from({ length: count }, (_, i) => i);
  t.same(await revisions('after', all), ascending, 'oldest first');
  t.same(await revisions('before', all), [...ascending].reverse(), 'newest first, from the last revision found past the first page');
  const window: Wanted = { about: (event) => event.revision % 2 === 0, from: Date.parse(occurredAt(100)), to: Date.parse(occurredAt(349)) };
  const evenInWindow = ascending.filter((revision) => revision >= 100 && revision <= 349 && revision % 2 === 0);
  t.same(await revisions('after', window), evenInWindow, 'oldest first, filtered and within from..to');
  t.same(await revisions('before', window), [...evenInWindow].reverse(), 'newest first, filtered and within from..to');
});
