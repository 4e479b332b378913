import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { initialCheckpoint, type ReadDocument, type ReadStore } from '../../projections/read-store.js';

type Note = ReadDocument & { readonly kind: string; readonly body: string; readonly done: boolean; readonly owner: string | null };

const note = (id: string, tenant: string, seq: number, kind = 'a', revision = 0): Note => ({
  id,
  tenant,
  seq,
  revision,
  kind,
  body: `${id}@${revision}`,
  done: revision % 2 === 1,
  owner: null,
});

export type MadeReadStore = { readonly store: ReadStore; readonly cleanup: () => Promise<void> };

/**
 * Every read-store adapter passes this suite. Collection and checkpoint names are unique per
 * test, so it can run against a shared server.
 */
export const readStoreContract = (t: Test, name: string, makeStore: () => Promise<MadeReadStore>) => {
  t.test(`${name}: read-store contract`, async (t) => {
    const unique = (prefix: string) => `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const fresh = async () => {
      const made = await makeStore();
      t.teardown(made.cleanup);
      const collection = unique('notes');
      await made.store.prepare([{ name: collection, indexes: [['tenant'], ['tenant', 'kind']] }]);
      t.teardown(() => made.store.drop([collection], []));
      return { store: made.store, collection, notes: made.store.collection<Note>(collection) };
    };

    t.test('get returns what put stored, null for unknown ids', async (t) => {
      const { notes } = await fresh();
      await notes.put(note('n1', 't1', 1));
      t.same(await notes.get('n1'), note('n1', 't1', 1));
      t.equal(await notes.get('nope'), null);
    });

    t.test('documents keep nested values, nulls, booleans and large numbers as they were', async (t) => {
      const { notes } = await fresh();
      const doc = { ...note('n1', 't1', 2 ** 40), owner: null, done: true, nested: { list: [1, 'two', { three: null }], deep: { n: -1.5 } } };
      await notes.put(doc);
      t.same(await notes.get('n1'), doc);
    });

    t.test('put replaces the whole document', async (t) => {
      const { notes } = await fresh();
      await notes.put({ ...note('n1', 't1', 1, 'a', 0), owner: 'x' });
      await notes.put(note('n1', 't1', 1, 'b', 1));
      t.same(await notes.get('n1'), note('n1', 't1', 1, 'b', 1), 'no field of the old document survives');
      t.same(
        (await notes.list({ tenant: 't1' }, { limit: 10 })).map((n) => n.kind),
        ['b'],
        'listed once',
      );
    });

    t.test('list filters by equality, newest seq first, pages with before', async (t) => {
      const { notes } = await fresh();
      for (let i = 1; i <= 9; i++) await notes.put(note(`n${i}`, i % 3 === 0 ? 't2' : 't1', i * 10, i % 2 ? 'odd' : 'even'));
      t.same(
        (await notes.list({ tenant: 't1' }, { limit: 3 })).map((n) => n.seq),
        [80, 70, 50],
      );
      t.same(
        (await notes.list({ tenant: 't1' }, { limit: 3, before: 50 })).map((n) => n.seq),
        [40, 20, 10],
      );
      t.same(
        (await notes.list({ tenant: 't1', kind: 'odd' }, { limit: 10 })).map((n) => n.seq),
        [70, 50, 10],
      );
      t.same(
        (await notes.list({ tenant: 't2' }, { limit: 10 })).map((n) => n.seq),
        [90, 60, 30],
      );
      t.same(
        (await notes.list({ kind: 'even' }, { limit: 2 })).map((n) => n.seq),
        [80, 60],
        'across tenants',
      );
      t.same(await notes.list({ tenant: 't3' }, { limit: 10 }), []);
    });

    t.test('list and count filter on booleans and nulls as on strings', async (t) => {
      const { notes } = await fresh();
      await notes.put(note('n1', 't1', 1, 'a', 1));
      await notes.put(note('n2', 't1', 2, 'a', 2));
      await notes.put({ ...note('n3', 't1', 3, 'a', 3), owner: 'someone' });
      t.same(
        (await notes.list({ tenant: 't1', done: true }, { limit: 10 })).map((n) => n.id),
        ['n3', 'n1'],
      );
      t.same(
        (await notes.list({ tenant: 't1', owner: null }, { limit: 10 })).map((n) => n.id),
        ['n2', 'n1'],
      );
      t.equal(await notes.count({ tenant: 't1', done: false }), 1);
      t.equal(await notes.count({ tenant: 't1' }), 3);
      t.equal(await notes.count({ tenant: 't2' }), 0);
    });

    t.test('a value that looks like another type matches only itself', async (t) => {
      const { notes } = await fresh();
      await notes.put({ ...note('n1', 't1', 1), kind: '1' });
      await notes.put({ ...note('n2', 't1', 2), kind: 'true' });
      t.same(
        (await notes.list({ tenant: 't1', kind: '1' }, { limit: 10 })).map((n) => n.id),
        ['n1'],
      );
      t.same(await notes.list({ tenant: 't1', kind: 1 as unknown as string }, { limit: 10 }), [], 'the number 1 is not the string "1"');
      t.same(await notes.list({ tenant: 't1', kind: true as unknown as string }, { limit: 10 }), []);
    });

    t.test('documents put out of seq order still list in seq order', async (t) => {
      const { notes } = await fresh();
      for (const seq of [5, 1, 9, 3]) await notes.put(note(`n${seq}`, 't1', seq));
      t.same(
        (await notes.list({ tenant: 't1' }, { limit: 10 })).map((n) => n.seq),
        [9, 5, 3, 1],
      );
    });

    t.test('commit stores documents of several collections, then the checkpoints', async (t) => {
      const { store, collection, notes } = await fresh();
      const other = unique('others');
      await store.prepare([{ name: other, indexes: [] }]);
      t.teardown(() => store.drop([other], []));
      const projector = unique('projector');
      const checkpoint = { position: 42, lanes: { 'bosun.task/0': 7, 'bosun.task/1': 9 } };
      await store.commit(
        [
          { collection, doc: note('n1', 't1', 1) },
          { collection: other, doc: note('o1', 't1', 2) },
          { collection, doc: note('n1', 't1', 1, 'b', 1) },
        ],
        { [projector]: checkpoint },
      );
      t.same(await notes.get('n1'), note('n1', 't1', 1, 'b', 1), 'the later write of one id wins');
      t.same(await store.collection<Note>(other).get('o1'), note('o1', 't1', 2));
      t.same(await store.checkpoint(projector), checkpoint);
    });

    t.test('a commit of many documents is stored whole', async (t) => {
      const { store, collection, notes } = await fresh();
      const writes = Array.from({ length: 500 }, (_, i) => ({ collection, doc: note(`n${i}`, `t${i % 3}`, i + 1) }));
      await store.commit(writes, {});
      t.equal(await notes.count({}), 500);
      t.equal(await notes.count({ tenant: 't1' }), 167);
      t.same(
        (await notes.list({ tenant: 't2' }, { limit: 2 })).map((n) => n.seq),
        [498, 495],
        'n497 and n494: i % 3 === 2, seq i + 1',
      );
    });

    t.test('checkpoints start initial and keep what was saved', async (t) => {
      const { store } = await fresh();
      const projector = unique('projector');
      t.same(await store.checkpoint(projector), initialCheckpoint);
      await store.commit([], { [projector]: { position: 42, lanes: { log: 42 } } });
      t.same(await store.checkpoint(projector), { position: 42, lanes: { log: 42 } });
      await store.commit([], { [projector]: { position: 50, lanes: { log: 50 } } });
      t.same(await store.checkpoint(projector), { position: 50, lanes: { log: 50 } });
      await store.drop([], [projector]);
      t.same(await store.checkpoint(projector), initialCheckpoint, 'dropped');
    });

    t.test('replace swaps a collection for another whole, and the source is gone', async (t) => {
      const { store, collection, notes } = await fresh();
      await notes.put(note('old1', 't1', 1));
      await notes.put(note('old2', 't1', 2));
      const scratch = unique('scratch');
      await store.prepare([{ name: scratch, indexes: [['tenant']] }]);
      await store.collection<Note>(scratch).put(note('new1', 't1', 3));
      await store.replace(collection, scratch);
      t.same(
        (await notes.list({ tenant: 't1' }, { limit: 10 })).map((n) => n.id),
        ['new1'],
      );
      t.equal(await notes.get('old1'), null);
      t.equal(await store.collection<Note>(scratch).count({}), 0, 'the source is empty');
      await notes.put(note('n4', 't1', 4));
      t.equal(await notes.count({ tenant: 't1' }), 2, 'the replaced collection takes writes');
    });

    t.test('drop empties a collection', async (t) => {
      const { store, collection, notes } = await fresh();
      await notes.put(note('n1', 't1', 1));
      await store.drop([collection], []);
      t.equal(await notes.get('n1'), null);
      t.equal(await notes.count({}), 0);
    });
  });
};
