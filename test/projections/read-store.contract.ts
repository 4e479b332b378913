import type { Test } from 'tap';
import type { ReadDocument, ReadStore } from '../../projections/read-store.js';

type Note = ReadDocument & { readonly kind: string; readonly body: string };

const note = (id: string, tenant: string, seq: number, kind = 'a', revision = 0): Note => ({ id, tenant, seq, revision, kind, body: `${id}@${revision}` });

/** Every read-store adapter passes this suite. */
export const readStoreContract = (t: Test, name: string, makeStore: () => Promise<{ store: ReadStore; cleanup: () => Promise<void> }>) => {
  t.test(`${name}: read-store contract`, async (t) => {
    const fresh = async () => {
      const made = await makeStore();
      t.teardown(made.cleanup);
      return { store: made.store, notes: made.store.collection<Note>(`notes_${Math.random().toString(36).slice(2)}`) };
    };

    t.test('get returns what put stored, null for unknown ids', async (t) => {
      const { notes } = await fresh();
      await notes.put(note('n1', 't1', 1));
      t.same(await notes.get('n1'), note('n1', 't1', 1));
      t.equal(await notes.get('nope'), null);
    });

    t.test('put replaces the whole document', async (t) => {
      const { notes } = await fresh();
      await notes.put(note('n1', 't1', 1, 'a', 0));
      await notes.put(note('n1', 't1', 1, 'b', 1));
      t.same(await notes.get('n1'), note('n1', 't1', 1, 'b', 1));
      t.same((await notes.list({ tenant: 't1' }, { limit: 10 })).map((n) => n.kind), ['b'], 'listed once');
    });

    t.test('list filters by equality, newest seq first, pages with before', async (t) => {
      const { notes } = await fresh();
      for (let i = 1; i <= 9; i++) await notes.put(note(`n${i}`, i % 3 === 0 ? 't2' : 't1', i * 10, i % 2 ? 'odd' : 'even'));
      t.same((await notes.list({ tenant: 't1' }, { limit: 3 })).map((n) => n.seq), [80, 70, 50]);
      t.same((await notes.list({ tenant: 't1' }, { limit: 3, before: 50 })).map((n) => n.seq), [40, 20, 10]);
      t.same((await notes.list({ tenant: 't1', kind: 'odd' }, { limit: 10 })).map((n) => n.seq), [70, 50, 10]);
      t.same((await notes.list({ tenant: 't2' }, { limit: 10 })).map((n) => n.seq), [90, 60, 30]);
      t.same((await notes.list({ kind: 'even' }, { limit: 2 })).map((n) => n.seq), [80, 60], 'across tenants');
      t.same(await notes.list({ tenant: 't3' }, { limit: 10 }), []);
    });

    t.test('documents put out of seq order still list in seq order', async (t) => {
      const { notes } = await fresh();
      for (const seq of [5, 1, 9, 3]) await notes.put(note(`n${seq}`, 't1', seq));
      t.same((await notes.list({ tenant: 't1' }, { limit: 10 })).map((n) => n.seq), [9, 5, 3, 1]);
    });

    t.test('checkpoints start at 0 and keep what was saved', async (t) => {
      const { store } = await fresh();
      const projector = `p_${Math.random().toString(36).slice(2)}`;
      t.equal(await store.checkpoint(projector), 0);
      await store.saveCheckpoint(projector, 42);
      t.equal(await store.checkpoint(projector), 42);
    });
  });
};
