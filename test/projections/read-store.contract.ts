import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import { initialCheckpoint, listInPages, type ReadDocument, type ReadStore } from '../../projections/read-store.js';

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

    t.test('listInPages reads every match in pages, newest first, up to its maximum', async (t) => {
      const { notes } = await fresh();
      for (let i = 1; i <= 9; i++) await notes.put(note(`n${i}`, i % 3 === 0 ? 't2' : 't1', i * 10));
      t.same(
        (await listInPages(notes, { tenant: 't1' }, 100, 2)).map((n) => n.seq),
        [80, 70, 50, 40, 20, 10],
        'pages of 2, the last one short',
      );
      t.same(
        (await listInPages(notes, { tenant: 't1' }, 3, 2)).map((n) => n.seq),
        [80, 70, 50],
        'stopped at the maximum',
      );
      t.same(
        (await listInPages(notes, { tenant: 't2' }, 100, 3)).map((n) => n.seq),
        [90, 60, 30],
        'a full last page',
      );
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

    t.test('list and count filter with $in, ranges, $contains and $has', async (t) => {
      type Item = Note & { readonly at: string; readonly size: number; readonly tags: readonly (string | number)[] };
      const { store, collection } = await fresh();
      const items = store.collection<Item>(collection);
      const item = (id: string, seq: number, fields: Partial<Item>): Item => ({ ...note(id, 't1', seq), at: '', size: 0, tags: [], ...fields });
      await items.put(item('i1', 1, { kind: 'a', body: 'Deploy the Web agent', at: '2026-01-01T00:00:00.000Z', size: 9, tags: ['web', 'x'] }));
      await items.put(item('i2', 2, { kind: 'b', body: 'web crawler', at: '2026-01-02T00:00:00.000Z', size: 10, tags: ['crawl'] }));
      await items.put(item('i3', 3, { kind: 'c', body: 'nothing here', at: '2026-01-03T00:00:00.000Z', size: 100, tags: [7] }));
      await items.put({
        ...item('i4', 4, { kind: 'a', body: 'web', tags: [] }),
        at: 5 as unknown as string,
        size: '50' as unknown as number,
        tags: 'web' as never,
      });
      await items.put({ ...item('other', 5, { kind: 'a', body: 'web', tags: ['web'] }), tenant: 't2' });
      const ids = async (filter: Parameters<typeof items.list>[0]) => (await items.list({ tenant: 't1', ...filter }, { limit: 10 })).map((i) => i.id);

      t.same(await ids({ kind: { $in: ['a', 'c'] } }), ['i4', 'i3', 'i1'], '$in: any of the values');
      t.same(await ids({ kind: { $in: [] } }), [], '$in of nothing matches nothing');
      t.same(await ids({ id: { $in: ['i2', 'other', 'i9'] } }), ['i2'], '$in on the id, within the tenant');
      t.same(await ids({ at: { $gte: '2026-01-02T00:00:00.000Z' } }), ['i3', 'i2'], 'a string range: at or after');
      t.same(await ids({ at: { $gte: '2026-01-01T12:00:00.000Z', $lt: '2026-01-03T00:00:00.000Z' } }), ['i2'], 'at or after, before');
      t.same(await ids({ size: { $gte: 10 } }), ['i3', 'i2'], 'a number range compares numbers, not their text');
      t.same(await ids({ size: { $lt: 10 } }), ['i1'], 'the string "50" is not a number under 10');
      t.same(await ids({ seq: { $gte: 2, $lt: 4 } }), ['i3', 'i2'], 'a range on seq');
      t.same(await ids({ body: { $contains: 'WEB' } }), ['i4', 'i2', 'i1'], '$contains: a substring, A-Z either case');
      t.same(await ids({ body: { $contains: 'b a' } }), ['i1'], 'spaces count');
      t.same(await ids({ body: { $contains: '.*' } }), [], 'no pattern: the characters themselves');
      t.same(await ids({ tags: { $has: 'web' } }), ['i1'], '$has: an array holding the value; a string field equal to it is no array');
      t.same(await ids({ tags: { $has: 7 } }), ['i3'], '$has a number');
      t.same(await ids({ tags: { $has: '7' } }), [], 'the string "7" is not the number 7');
      t.same(await ids({ kind: 'a', body: { $contains: 'web' }, tags: { $has: 'x' } }), ['i1'], 'conditions together');
      t.equal(await items.count({ tenant: 't1', body: { $contains: 'web' } }), 3, 'count takes operators too');
      t.equal(await items.count({ tenant: 't1', at: { $lt: '2026-01-03' } }), 2);
      await t.rejects(items.list({ tenant: 't1', kind: { $ne: 'a' } as never }, { limit: 1 }), /unknown operator/, 'an unknown operator is refused');
    });

    t.test('sort lists by a field, then newest seq among equals, and pages with after', async (t) => {
      type Named = Note & { readonly name: string; readonly rank: number };
      const { store, collection } = await fresh();
      const named = store.collection<Named>(collection);
      const names = ['delta', 'alpha', 'charlie', 'bravo', 'alpha', 'echo'];
      const ranks = [10, 9, 100, 2, 30, 1];
      for (const [index, name] of names.entries()) await named.put({ ...note(`n${index + 1}`, 't1', index + 1), name, rank: ranks[index] as number });
      await named.put({ ...note('x', 't2', 9), name: 'aaa', rank: 0 });
      const walk = async (sort: { field: string; order: 'asc' | 'desc' }, limit: number) => {
        const seen: string[] = [];
        let after: { value: string | number; seq: number } | undefined;
        for (;;) {
          const page = await named.list({ tenant: 't1' }, { limit, sort, ...(after ? { after } : {}) });
          seen.push(...page.map((n) => `${n.name}/${n.seq}`));
          const last = page.at(-1);
          if (page.length < limit || !last) return seen;
          after = { value: (last as Record<string, unknown>)[sort.field] as string | number, seq: last.seq };
        }
      };
      const ascending = ['alpha/5', 'alpha/2', 'bravo/4', 'charlie/3', 'delta/1', 'echo/6'];
      t.same(await walk({ field: 'name', order: 'asc' }, 10), ascending, 'ascending, newest first among equals');
      t.same(await walk({ field: 'name', order: 'asc' }, 2), ascending, 'the same, page by page');
      t.same(await walk({ field: 'name', order: 'desc' }, 4), ['echo/6', 'delta/1', 'charlie/3', 'bravo/4', 'alpha/5', 'alpha/2'], 'descending');
      t.same(
        (await named.list({ tenant: 't1' }, { limit: 10, sort: { field: 'rank', order: 'asc' } })).map((n) => n.rank),
        [1, 2, 9, 10, 30, 100],
        'numbers sort as numbers, not as their text',
      );
      t.same(
        (
          await named.list({ tenant: 't1', name: { $contains: 'a' } }, { limit: 2, sort: { field: 'name', order: 'asc' }, after: { value: 'alpha', seq: 2 } })
        ).map((n) => n.id),
        ['n4', 'n3'],
        'a filter with a sorted page',
      );
      await t.rejects(named.list({ tenant: 't1' }, { limit: 1, before: 3, sort: { field: 'name', order: 'asc' } }), /before/, 'before belongs to seq order');
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
