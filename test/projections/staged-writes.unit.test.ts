import t from 'tap';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import type { Filter, Page, ReadDocument } from '../../projections/read-store.js';
import { StagedWrites } from '../../projections/staged-writes.js';

type Item = ReadDocument & { readonly name: string; readonly size: number; readonly tags: readonly string[] };

const item = (n: number, name: string, size: number, tags: string[] = []): Item => ({ id: `i${n}`, tenant: 't1', seq: n, revision: 0, name, size, tags });

const queries: [string, Filter<Item>, Page][] = [
  ['all, newest first', { tenant: 't1' }, { limit: 20 }],
  ['below a cursor', { tenant: 't1' }, { limit: 3, before: 6 }],
  ['$in', { name: { $in: ['alpha', 'echo'] } }, { limit: 20 }],
  ['a range', { size: { $gte: 3, $lt: 30 } }, { limit: 20 }],
  ['$contains', { name: { $contains: 'HA' } }, { limit: 20 }],
  ['$has', { tags: { $has: 'red' } }, { limit: 20 }],
  ['sorted by name', { tenant: 't1' }, { limit: 20, sort: { field: 'name', order: 'asc' } }],
  ['sorted by size, after one', { tenant: 't1' }, { limit: 3, sort: { field: 'size', order: 'desc' }, after: { value: 30, seq: 4 } }],
];

t.test('staged documents are read over the stored ones with the same filters, sorts and pages as the store', async (t) => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  t.teardown(() => store.close());
  await store.prepare([{ name: 'items', indexes: [['tenant']] }]);
  // Given stored documents...
  await store.commit(
    [item(1, 'alpha', 1, ['red']), item(2, 'bravo', 20), item(3, 'charlie', 3, ['blue']), item(4, 'delta', 30, ['red']), item(5, 'echo', 5)].map((doc) => ({
      collection: 'items',
      doc,
    })),
    {},
  );
  // ...when a batch stages new ones and changes stored ones...
  const staged = new StagedWrites(store);
  const items = staged.collection<Item>('items');
  await items.put(item(6, 'foxtrot', 60, ['red']));
  await items.put(item(7, 'alpha', 7));
  await items.put({ ...item(2, 'bravo', 2), tags: ['red'] });
  await items.put({ ...item(4, 'hotel', 40) });
  const before = await Promise.all(queries.map(async ([, filter, page]) => (await items.list(filter, page)).map((doc) => doc.id)));
  const counts = await Promise.all(queries.map(([, filter]) => items.count(filter)));
  // ...then what it reads is what the store answers once they are committed.
  await staged.commit([], {});
  const stored = store.collection<Item>('items');
  for (const [index, [name, filter, page]] of queries.entries()) {
    t.same(
      before[index],
      (await stored.list(filter, page)).map((doc) => doc.id),
      name,
    );
    t.equal(counts[index], await stored.count(filter), `count: ${name}`);
  }
});
