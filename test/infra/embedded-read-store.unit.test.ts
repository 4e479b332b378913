import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { bindFilter, listDocuments, tableName } from '../../infra/embedded-read-store-sql.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { conditionsOf } from '../../projections/read-query.js';
import { initialCheckpoint, type Filter, type Page, type ReadDocument } from '../../projections/read-store.js';
import { readStoreContract } from '../projections/read-store.contract.js';
import { spawnFixture } from './fixtures/spawn-fixture.js';

const tempDir = () => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-read-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
};

readStoreContract(t, 'embedded in memory', async () => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  return { store, cleanup: () => store.close() };
});

// One file for the whole suite, as Bosun has one: the contract's names are unique per test.
const shared = openEmbeddedReadStore({ file: join(tempDir(), 'read.sqlite') });
t.teardown(() => shared.close());
readStoreContract(t, 'embedded in a file', async () => ({ store: shared, cleanup: async () => {} }));

type Task = ReadDocument & { readonly status: unknown; readonly kind?: string; readonly padding?: string };
const task = (n: number, status: unknown, tenant = 't1'): Task => ({ id: `task-${n}`, tenant, seq: n, revision: 0, status, kind: 'echo' });
const taskSpec = {
  name: 'tasks',
  indexes: [
    ['tenant', 'status'],
    ['tenant', 'kind'],
  ],
};

/** The statement of a list of tasks and the values it binds. */
const listOf = (filter: Filter<ReadDocument & { status: string }>, page: Page): [string, unknown[]] => {
  const bound = bindFilter(conditionsOf(filter));
  if (!bound) throw new Error('no document can match');
  const query = listDocuments('tasks', bound, page);
  return [query.sql, [...bound.values, ...query.values]];
};

const plan = (file: string, sql: string, parameters: unknown[]): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...parameters)
      .map((row) => row.detail);
  } finally {
    db.close();
  }
};

t.test('a value matches only a value of the same JSON type, indexed or not', async (t) => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  t.teardown(() => store.close());
  await store.prepare([taskSpec]);
  // Messages name the values by their place: one holding U+2028 would break TAP's lines.
  const values: unknown[] = [1, '1', true, 'true', null, 'null', 0, false, '', 1.5, 'é "quoted" \\ \n \u2028'];
  for (const collection of ['tasks', 'unprepared']) {
    await store.commit(
      [...values.map((status, n) => ({ collection, doc: task(n + 1, status) })), { collection, doc: { id: 'no-status', tenant: 't1', seq: 99, revision: 0 } }],
      {},
    );
    const tasks = store.collection<Task>(collection);
    for (const [n, status] of values.entries()) {
      t.same(
        (await tasks.list({ tenant: 't1', status }, { limit: 10 })).map((doc) => doc.id),
        [`task-${n + 1}`],
        `${collection}: value ${n} of ${values.length}`,
      );
      t.equal(await tasks.count({ tenant: 't1', status }), 1);
    }
    t.same(await tasks.list({ tenant: 1 as unknown as string }, { limit: 10 }), [], 'a tenant that is a number matches no tenant "1"');
    t.equal((await tasks.list({ tenant: 't1', status: undefined }, { limit: 20 })).length, values.length + 1, 'undefined filters nothing');
  }
});

t.test('a tenant list by status, newest first, is served by its index, with or without a cursor', async (t) => {
  const file = join(tempDir(), 'read.sqlite');
  const store = openEmbeddedReadStore({ file });
  t.teardown(() => store.close());
  await store.prepare([taskSpec]);
  await store.commit(
    Array.from({ length: 200 }, (_, n) => ({ collection: 'tasks', doc: task(n + 1, n % 4 === 0 ? 'running' : 'completed', `t${n % 2}`) })),
    {},
  );
  t.same(
    (await store.collection<Task>('tasks').list({ tenant: 't0', status: 'running' }, { limit: 3, before: 100 })).map((doc) => doc.seq),
    [97, 93, 89],
  );
  for (const before of [false, true]) {
    const [detail, ...rest] = plan(file, ...listOf({ tenant: 't0', status: 'running' }, before ? { before: 100, limit: 3 } : { limit: 3 }));
    t.same(rest, [], 'one step: no sort after the search');
    t.match(detail, /^SEARCH collection_tasks USING INDEX ix\["tenant","status"\]#\w+ \(tenant=\? AND <expr>=\?/, detail ?? 'no plan');
  }
  const [all, ...sort] = plan(file, ...listOf({}, { before: 100, limit: 3 }));
  t.match(all, /USING INDEX ix\[\]#/, `a whole collection, newest first, by the seq index: ${all}`);
  t.same(sort, []);
});

t.test('documents, checkpoints and indexes survive close and reopen; prepare again adds nothing', async (t) => {
  const file = join(tempDir(), 'nested', 'read.sqlite');
  const first = openEmbeddedReadStore({ file });
  await first.prepare([taskSpec]);
  await first.commit(
    [
      { collection: 'tasks', doc: task(1, 'running') },
      { collection: 'other', doc: task(2, 'queued') },
    ],
    { tasks: { position: 9, lanes: { log: 9 } } },
  );
  await first.close();
  const indexes = () => {
    const db = new Database(file, { readonly: true });
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix%' ORDER BY name").pluck().all();
    db.close();
    return names;
  };
  const before = indexes();
  t.equal(before.length, 4, 'tasks: seq, (tenant, status), (tenant, kind); other: seq');

  const second = openEmbeddedReadStore({ file });
  t.teardown(() => second.close());
  await second.prepare([taskSpec]);
  t.same(indexes(), before, 'the same indexes');
  t.same(await second.collection('tasks').get('task-1'), task(1, 'running'));
  t.same(await second.collection<Task>('other').list({ status: 'queued' }, { limit: 1 }), [task(2, 'queued')], 'an unprepared collection too');
  t.same(await second.checkpoint('tasks'), { position: 9, lanes: { log: 9 } });
});

t.test('a second writer of the same file is refused while the first has it', async (t) => {
  const file = join(tempDir(), 'read.sqlite');
  const first = openEmbeddedReadStore({ file });
  t.throws(() => openEmbeddedReadStore({ file }), /in use by another process/);
  await first.close();
  const again = openEmbeddedReadStore({ file });
  await again.close();
});

t.test('a commit is stored whole or not at all', async (t) => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  t.teardown(() => store.close());
  await store.commit([{ collection: 'tasks', doc: task(1, 'queued') }], { tasks: { position: 1, lanes: { log: 1 } } });
  const unencodable = { ...task(3, 'queued'), size: 1n } as unknown as Task;
  await t.rejects(
    store.commit(
      [
        { collection: 'tasks', doc: task(2, 'queued') },
        { collection: 'tasks', doc: unencodable },
      ],
      { tasks: { position: 3, lanes: { log: 3 } } },
    ),
    /document task-3 of tasks not stored, nor anything of its commit/,
  );
  t.equal(await store.collection('tasks').get('task-2'), null, 'the first document of the failed commit is not there');
  t.same(await store.checkpoint('tasks'), { position: 1, lanes: { log: 1 } }, 'nor its checkpoint');
});

t.test('replace is one step: a reader sees the old collection or the new, and a failed replace changes nothing', async (t) => {
  const file = join(tempDir(), 'read.sqlite');
  const store = openEmbeddedReadStore({ file });
  t.teardown(() => store.close());
  await store.prepare([taskSpec, { ...taskSpec, name: 'tasks__rebuild' }]);
  await store.commit(
    Array.from({ length: 50 }, (_, n) => ({ collection: 'tasks', doc: task(n + 1, 'old') })),
    {},
  );
  await store.commit(
    Array.from({ length: 70 }, (_, n) => ({ collection: 'tasks__rebuild', doc: task(n + 1, 'new') })),
    {},
  );

  // Another process's view: its read transaction began before the replace.
  const reader = new Database(file, { readonly: true });
  t.teardown(() => reader.close());
  const statuses = () => reader.prepare(`SELECT doc ->> '$.status' AS status, count(*) AS n FROM "${tableName('tasks')}" GROUP BY 1`).all();
  reader.exec('BEGIN');
  t.same(statuses(), [{ status: 'old', n: 50 }]);
  await store.replace('tasks', 'tasks__rebuild');
  t.same(statuses(), [{ status: 'old', n: 50 }], 'a read begun before it sees all of the old');
  reader.exec('COMMIT');
  t.same(statuses(), [{ status: 'new', n: 70 }], 'then all of the new');

  const tasks = store.collection<Task>('tasks');
  t.equal(await tasks.count({ tenant: 't1', status: 'new' }), 70);
  const [detail] = plan(file, ...listOf({ tenant: 't1', status: 'new' }, { limit: 3 }));
  t.match(detail, /USING INDEX ix\["tenant","status"\]/, 'the target has the indexes the source had');
  await store.prepare([taskSpec, { ...taskSpec, name: 'tasks__rebuild' }]);
  const indexes = (collection: string) => {
    const db = new Database(file, { readonly: true });
    const count = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix%' AND tbl_name = ?").pluck().get(tableName(collection));
    db.close();
    return count;
  };
  t.same([indexes('tasks'), indexes('tasks__rebuild')], [3, 3], 'prepared again, each has seq and the two of its spec, no more');
  t.equal(await store.collection('tasks__rebuild').count({}), 0, 'the source is empty, and can be prepared again');

  // A trigger that cannot run breaks every rename of the file: the replace fails after its drop.
  const saboteur = new Database(file);
  saboteur.exec('CREATE TABLE trap (x); CREATE TRIGGER broken AFTER INSERT ON trap BEGIN INSERT INTO nowhere VALUES (1); END;');
  saboteur.close();
  await store.commit([{ collection: 'tasks__rebuild', doc: task(1, 'newer') }], {});
  await t.rejects(store.replace('tasks', 'tasks__rebuild'), /replacing collection tasks with tasks__rebuild failed; both are as they were/);
  t.equal(await tasks.count({}), 70, 'the target is whole');
  t.equal(await store.collection('tasks__rebuild').count({}), 1, 'the source is whole');
});

t.test('read-only: reads beside the owner, sees its commits, replaces and drops, and writes nothing', async (t) => {
  const file = join(tempDir(), 'read.sqlite');
  await t.rejects(async () => openEmbeddedReadStore({ file, readonly: true }), /read store .* cannot be opened read-only/, 'no file: refused');
  const owner = openEmbeddedReadStore({ file });
  t.teardown(() => owner.close());
  await owner.prepare([taskSpec]);
  await owner.commit([{ collection: 'tasks', doc: task(1, 'queued') }], { tasks: { position: 1, lanes: { log: 1 } } });

  const reader = openEmbeddedReadStore({ file, readonly: true });
  t.teardown(() => reader.close());
  const tasks = reader.collection<Task>('tasks');
  t.same(await tasks.get('task-1'), task(1, 'queued'));
  t.same(await reader.checkpoint('tasks'), { position: 1, lanes: { log: 1 } });
  t.same(await reader.collection('missing').list({}, { limit: 1 }), [], 'a collection that does not exist is empty');

  await owner.commit([{ collection: 'tasks', doc: task(2, 'queued') }], { tasks: { position: 2, lanes: { log: 2 } } });
  t.equal(await tasks.count({ tenant: 't1', status: 'queued' }), 2, 'sees the owner commit');
  await owner.commit([{ collection: 'scratch', doc: task(3, 'rebuilt') }], {});
  await owner.replace('tasks', 'scratch');
  t.same(
    (await tasks.list({ tenant: 't1' }, { limit: 10 })).map((doc) => doc.id),
    ['task-3'],
    'sees the replace',
  );
  await owner.drop(['tasks'], ['tasks']);
  t.equal(await tasks.get('task-3'), null, 'sees the drop');
  t.same(await reader.checkpoint('tasks'), initialCheckpoint);

  const refused = [
    reader.commit([{ collection: 'tasks', doc: task(4, 'x') }], {}),
    tasks.put(task(4, 'x')),
    reader.prepare([taskSpec]),
    reader.replace('tasks', 'scratch'),
    reader.drop(['tasks'], []),
  ];
  for (const write of refused) await t.rejects(write, { name: 'ReadOnlyReadStoreError', code: 'read_only' });
  const raw = new Database(file, { readonly: true });
  t.teardown(() => raw.close());
  t.equal(raw.prepare('SELECT count(*) FROM sqlite_master WHERE name = ?').pluck().get(tableName('missing')), 0, 'reading created nothing');

  await owner.close();
  const alone = openEmbeddedReadStore({ file, readonly: true });
  t.same(await alone.collection('scratch').count({}), 0, 'opens with the owner gone too');
  await alone.close();
});

t.test('SIGKILL in the middle of commits leaves the checkpoint and the documents it covers together', async (t) => {
  const file = join(tempDir(), 'read.sqlite');
  const child = spawnFixture('read-store-crash-writer.ts', [file]);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let acknowledged = 0;
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (buffered + chunk.toString()).split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) acknowledged = Math.max(acknowledged, Number(line));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // 20,000 items of ~1 KB: several WAL checkpoints happen before the kill.
  for (const deadline = Date.now() + 60_000; acknowledged < 20_000;) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`writer stopped early: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  await exited;

  const raw = new Database(file);
  t.equal(raw.pragma('integrity_check', { simple: true }), 'ok', 'the file is sound');
  raw.close();
  const store = openEmbeddedReadStore({ file });
  t.teardown(() => store.close());
  const { position } = await store.checkpoint('crash');
  t.ok(position >= acknowledged, `checkpoint ${position}: no commit that returned (last ${acknowledged}) is lost to a kill`);
  const items = store.collection('items');
  t.equal(await items.count({}), position, 'as many items as the checkpoint covers');
  t.ok(await items.get(`item-${position}`), 'the last item covered is there');
  t.equal(await items.get(`item-${position + 1}`), null, 'none beyond it');
  t.match(await store.collection('summary').get('summary'), { through: position }, 'the document replaced by every commit agrees');
  t.same(
    (await items.list({ tenant: `t${position % 3}` }, { limit: 1 })).map((doc) => doc.seq),
    [position],
    'and the indexes',
  );
});
