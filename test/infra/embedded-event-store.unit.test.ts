import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import type { NewEvent, RecordedEvent } from '../../events/event-store.js';
import { unindexedLimit } from '../../infra/embedded-event-store-schema.js';
import { DuplicateEventIdError, openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { testMetadata } from '../events/event-metadata.js';
import { eventStoreContract } from '../events/event-store.contract.js';
import { spawnFixture } from './fixtures/spawn-fixture.js';

const tempDir = () => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-events-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
};

eventStoreContract(t, 'embedded', async () => {
  const store = openEmbeddedEventStore({ directory: tempDir() });
  return { store, cleanup: () => store.close() };
});

const event = (n: number): NewEvent => ({
  id: randomUUID(),
  type: 'unit.happened',
  tenant: 'team-a',
  data: { n },
  metadata: testMetadata({ type: 'system', id: 'unit' }),
});

const readEverything = async (store: ReturnType<typeof openEmbeddedEventStore>): Promise<RecordedEvent[]> => {
  const all: RecordedEvent[] = [];
  for (let page = await store.readAll(); page.length > 0; page = await store.readAll({ after: all.at(-1)?.position ?? 0 })) all.push(...page);
  return all;
};

t.test('reopening the directory keeps everything, and revisions and positions continue', async (t) => {
  const directory = tempDir();
  const first = openEmbeddedEventStore({ directory });
  await first.append('task-1', [event(0), event(1)], 'no_stream');
  await first.append('task-2', [event(2)], 'no_stream');
  const before = await readEverything(first);
  await first.close();

  const second = openEmbeddedEventStore({ directory });
  t.teardown(() => second.close());
  t.strictSame(await readEverything(second), before, 'the same log');
  t.equal(await second.headPosition(), 3);
  t.match(await second.append('task-1', [event(3)], 'no_stream').catch((e: unknown) => e), { actual: 1 }, 'revisions are known again');
  t.same(await second.append('task-1', [event(3)], 1), { revision: 2, position: 4 });
});

/** How far the stream index reaches and where the log ends, read from the file itself. */
const indexAndHead = (directory: string): { indexed: number; head: number } => {
  const db = new Database(join(directory, 'events.sqlite'), { readonly: true });
  try {
    const indexed = db.prepare<[], number>('SELECT position FROM stream_index_head').pluck().get() ?? 0;
    const head = db.prepare<[], number | null>('SELECT MAX(position) FROM events').pluck().get() ?? 0;
    return { indexed, head };
  } finally {
    db.close();
  }
};

t.test('streams read whole across the stream index and the log past it, before and after reopening', async (t) => {
  const directory = tempDir();
  const streams = ['s-a', 's-b', 's-c'];
  const first = openEmbeddedEventStore({ directory });
  // Interleaved appends of 10, past one fold of the index and into the next tail.
  const appends = Math.ceil((unindexedLimit * 1.5) / 10);
  for (let i = 0; i < appends; i++) {
    const stream = streams[i % streams.length] as string;
    const expected = i < streams.length ? 'no_stream' : Math.floor(i / streams.length) * 10 - 1;
    await first.append(
      stream,
      Array.from({ length: 10 }, (_, n) => event(i * 10 + n)),
      expected,
    );
  }
  const { indexed, head } = indexAndHead(directory);
  t.ok(indexed > 0 && indexed < head, `the index holds ${indexed} of ${head} events: both are read`);

  const check = async (store: ReturnType<typeof openEmbeddedEventStore>, when: string) => {
    for (const stream of streams) {
      const events = await store.readStream(stream);
      t.same(
        events.map((e) => e.revision),
        Array.from({ length: events.length }, (_, i) => i),
        `${when}: ${stream} has revisions 0..n`,
      );
      t.ok(
        events.every((e, i) => i === 0 || e.position > (events[i - 1] as RecordedEvent).position),
        `${when}: ${stream} in log order`,
      );
    }
    const all = await readEverything(store);
    const middle = all.find((e) => e.position === indexed) as RecordedEvent;
    const window = await store.readStream(middle.stream, { fromRevision: middle.revision - 2, maxCount: 5 });
    t.same(
      window.map((e) => e.revision),
      [0, 1, 2, 3, 4].map((n) => middle.revision - 2 + n),
      `${when}: a window across the index's end`,
    );
    t.strictSame(window, (await store.readStream(middle.stream)).slice(middle.revision - 2, middle.revision + 3), `${when}: the same events`);
    const whole = await store.readStream('s-a');
    t.strictSame(await store.readStream('s-a', { fromRevision: whole.length - 3 }), whole.slice(-3), `${when}: a read starting past the index`);
    t.strictSame(await store.readStream('s-a', { fromRevision: whole.length - 3, maxCount: 2 }), whole.slice(-3, -1), `${when}: and a page of it`);
  };
  await check(first, 'open');
  const before = await Promise.all(streams.map((stream) => first.readStream(stream)));
  await first.close();

  const second = openEmbeddedEventStore({ directory });
  t.teardown(() => second.close());
  await check(second, 'reopened');
  t.strictSame(await Promise.all(streams.map((stream) => second.readStream(stream))), before, 'reopened: the same streams');
  const last = (before[0] as RecordedEvent[]).at(-1) as RecordedEvent;
  t.match(await second.append('s-a', [event(0)], last.revision - 1).catch((e: unknown) => e), { actual: last.revision }, 'revisions past the index are known');
  t.same(await second.append('s-a', [event(0)], last.revision), { revision: last.revision + 1, position: head + 1 });
});

t.test('a store of the first layout (stream index on the log) opens with the same events, streams and revisions', async (t) => {
  const directory = tempDir();
  const old = new Database(join(directory, 'events.sqlite'));
  old.exec(`
    CREATE TABLE events (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL,
      type TEXT NOT NULL, tenant TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL);
    CREATE UNIQUE INDEX events_stream_revision ON events (stream, revision);
    CREATE UNIQUE INDEX events_id ON events (id);
  `);
  const withIdempotency = {
    ...event(1),
    metadata: { ...testMetadata({ type: 'api_key', id: 'key-1' }), client_ip: '203.0.113.7', idempotency: { key: 'k', request_hash: 'h' } },
  };
  const stored = [event(0), withIdempotency, event(2)];
  const insert = old.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  stored.forEach((e, i) =>
    insert.run(i + 1, i < 2 ? 'old-1' : 'old-2', i < 2 ? i : 0, e.id, e.type, e.tenant, JSON.stringify(e.data), JSON.stringify(e.metadata)),
  );
  old.close();

  const store = openEmbeddedEventStore({ directory });
  t.teardown(() => store.close());
  t.strictSame(
    await readEverything(store),
    stored.map((e, i) => ({ ...e, stream: i < 2 ? 'old-1' : 'old-2', revision: i < 2 ? i : 0, position: i + 1 })),
    'every event, metadata included, as it was',
  );
  t.same(
    (await store.readStream('old-1')).map((e) => [e.id, e.revision, e.position]),
    [
      [stored[0]?.id, 0, 1],
      [stored[1]?.id, 1, 2],
    ],
  );
  t.same(await store.append('old-1', [event(3)], 1), { revision: 2, position: 4 }, 'revisions continue');
  t.match(await store.append('old-2', [event(4)], 'no_stream').catch((e: unknown) => e), { actual: 0 });
  t.same(indexAndHead(directory), { indexed: 3, head: 4 }, 'the index was built from the log');
});

t.test('a second store on the same directory is refused while the first is open', async (t) => {
  const directory = tempDir();
  const first = openEmbeddedEventStore({ directory });
  t.teardown(() => first.close());
  t.throws(() => openEmbeddedEventStore({ directory }), /in use by another process/);
});

t.test('appends in one batch succeed or fail independently, and see each other in order', async (t) => {
  const store = openEmbeddedEventStore({ directory: tempDir() });
  t.teardown(() => store.close());
  const taken = event(9);
  await store.append('s-0', [taken], 'no_stream');
  // Issued in the same tick: they are written by one transaction.
  const results = await Promise.allSettled([
    store.append('s-1', [event(0)], 'no_stream'),
    store.append('s-1', [event(1)], 'no_stream'),
    store.append('s-1', [event(2), event(3)], 0),
    store.append('s-2', [event(4), taken], 'no_stream'),
    store.append('s-2', [event(5)], 'no_stream'),
  ]);
  t.match(results, [
    { status: 'fulfilled', value: { revision: 0, position: 2 } },
    { status: 'rejected', reason: { code: 'wrong_expected_revision', actual: 0 } },
    { status: 'fulfilled', value: { revision: 2, position: 4 } },
    { status: 'rejected', reason: { code: 'duplicate_event_id' } },
    { status: 'fulfilled', value: { revision: 0, position: 5 } },
  ]);
  t.same(
    (await store.readStream('s-2')).map((e) => e.data),
    [{ n: 5 }],
    'the refused append left nothing behind',
  );
  t.same(
    (await readEverything(store)).map((e) => e.position),
    [1, 2, 3, 4, 5],
    'no holes in the log',
  );
});

t.test('an append larger than one statement is stored whole', async (t) => {
  const store = openEmbeddedEventStore({ directory: tempDir() });
  t.teardown(() => store.close());
  const many = Array.from({ length: 1000 }, (_, i) => event(i));
  t.same(await store.append('big-1', many, 'no_stream'), { revision: 999, position: 1000 });
  const clash = [...Array.from({ length: 300 }, (_, i) => event(i)), many[0] as NewEvent];
  t.ok((await store.append('big-2', clash, 'no_stream').catch((e: unknown) => e)) instanceof DuplicateEventIdError);
  t.same(await store.readStream('big-2'), [], 'all or nothing');
  t.equal(await store.headPosition(), 1000);
});

t.test('SIGKILL while appending loses no acknowledged append and leaves no partial one', async (t) => {
  const directory = tempDir();
  const child = spawnFixture('crash-writer.ts', [directory, '16']);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const acknowledged = new Map<string, number>();
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (buffered + chunk.toString()).split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [stream, revision] = line.split(' ');
      if (stream && revision) acknowledged.set(stream, Math.max(acknowledged.get(stream) ?? -1, Number(revision)));
    }
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const count = () => [...acknowledged.values()].reduce((sum, revision) => sum + revision + 1, 0);
  for (const deadline = Date.now() + 60_000; count() < 3000;) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`writer stopped early: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  await exited;
  t.ok(count() >= 3000, `${count()} events were acknowledged before the kill`);

  const store = openEmbeddedEventStore({ directory });
  t.teardown(() => store.close());
  const all = await readEverything(store);
  t.same(
    all.map((e) => e.position),
    Array.from({ length: all.length }, (_, i) => i + 1),
    'positions 1..head, no holes',
  );
  const missing = [...acknowledged].filter(([stream, revision]) => !all.some((e) => e.stream === stream && e.revision === revision));
  t.same(missing, [], 'every acknowledged append is stored');
  const broken: string[] = [];
  for (const stream of new Set(all.map((e) => e.stream))) {
    const events = await store.readStream(stream);
    if (events.some((e, i) => e.revision !== i)) broken.push(`${stream}: revisions not contiguous`);
    // Events of one append are consecutive and complete: index runs 0..size-1.
    for (let i = 0; i < events.length;) {
      const { size } = events[i]?.data as { size: number };
      const group = events.slice(i, i + size).map((e) => e.data as { append: number; index: number });
      if (group.length !== size || group.some((d, index) => d.index !== index || d.append !== group[0]?.append))
        broken.push(`${stream}: partial append at ${i}`);
      i += size;
    }
  }
  t.same(broken, [], 'no partial append');

  const { indexed, head } = indexAndHead(directory);
  t.ok(indexed < head, `${head - indexed} events past the stream index were read from the log again`);
  const appended = await Promise.all(
    [...new Set(all.map((e) => e.stream))].map(async (stream) => {
      const last = (await store.readStream(stream)).at(-1) as RecordedEvent;
      return (await store.append(stream, [event(0)], last.revision)).revision === last.revision + 1;
    }),
  );
  t.ok(appended.every(Boolean), 'every stream takes its next revision');
});
