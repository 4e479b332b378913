import type { RecordedEvent } from '../events/event-store.js';
import type { Projector } from './projector.js';
import type { Collection, ReadDocument, ReadStore } from './read-store.js';

/**
 * A read model with one document per stream of a category (`<category>-<id>`, id = the
 * document's id), folded event by event with `evolve`. Applied twice, changed once: an
 * event at or below the document's revision is skipped.
 */
export const streamViewProjector = <View extends ReadDocument>(options: {
  readonly name: string;
  readonly category: string;
  /** The fields lists filter on, as indexes (see CollectionSpec). */
  readonly indexes: readonly (readonly (keyof View & string)[])[];
  readonly evolve: (view: View | null, event: RecordedEvent) => View | null;
}) => {
  const prefix = `${options.category}-`;
  const typePrefix = `${options.category}.`;
  const collection = (store: ReadStore): Collection<View> => store.collection<View>(options.name);
  const projector: Projector = {
    name: options.name,
    collections: [{ name: options.name, indexes: [['tenant'], ...options.indexes] }],
    categories: [options.category],
    apply: async (event, store) => {
      if (!event.type.startsWith(typePrefix) || !event.stream.startsWith(prefix)) return;
      const views = collection(store);
      const current = await views.get(event.stream.slice(prefix.length));
      if (current && event.revision <= current.revision) return;
      const next = options.evolve(current, event);
      if (next && next !== current) await views.put(next);
    },
  };
  return { projector, collection };
};
