import type { Test } from 'tap';
import type { RecordedEvent } from '../../events/event-store.js';
import { categoryOfStream } from '../../events/streams.js';
import type { Projector } from '../../projections/projector.js';
import type { ReadDocument, ReadStore } from '../../projections/read-store.js';
import { StagedWrites } from '../../projections/staged-writes.js';
import type { MadeReadStore } from './read-store.contract.js';

/** Applies `events` in batches, as the runner does; `times` applies each batch that often before the next (a redelivery). */
const project = async (projector: Projector, store: ReadStore, events: readonly RecordedEvent[], times: number, batch = 7): Promise<void> => {
  await store.prepare(projector.collections);
  const categories = new Set(projector.categories);
  for (let from = 0; from < events.length; from += batch) {
    for (let round = 0; round < times; round++) {
      const staged = new StagedWrites(store);
      for (const event of events.slice(from, from + batch)) if (categories.has(categoryOfStream(event.stream))) await projector.apply(event, staged);
      await staged.commit([], {});
    }
  }
};

const everything = async (store: ReadStore, collection: string): Promise<ReadDocument[]> =>
  (await store.collection(collection).list({}, { limit: 100_000 })).sort((a, b) => (a.id < b.id ? -1 : 1));

/**
 * Applied twice, changed once, for every projector and every read store: a log applied with
 * each batch delivered twice, and then the whole log once more (a relay that republished
 * from an old checkpoint), leaves the documents exactly as one application does.
 */
export const appliedTwiceChangedOnce = (
  t: Test,
  name: string,
  makeStore: () => Promise<MadeReadStore>,
  events: () => readonly RecordedEvent[],
  projectors: readonly Projector[],
) => {
  t.test(`${name}: applied twice, changed once`, async (t) => {
    for (const projector of projectors) {
      t.test(projector.name, async (t) => {
        const once = await makeStore();
        const twice = await makeStore();
        t.teardown(async () => {
          await once.cleanup();
          await twice.cleanup();
        });
        await project(projector, once.store, events(), 1);
        await project(projector, twice.store, events(), 2);
        await project(projector, twice.store, events(), 1);
        for (const { name: collection } of projector.collections) {
          const expected = await everything(once.store, collection);
          t.ok(expected.length > 0, `${collection} has documents to compare`);
          t.same(await everything(twice.store, collection), expected, collection);
        }
      });
    }
  });
};
