import type { EventSchemaRegistry } from '../events/event-schemas.js';
import { eventCategories } from '../events/streams.js';

// Named once (not only derived from the schemas) so that the OpenAPI document, which has no
// registry at hand, lists the same categories the route accepts and the relay publishes.
export { eventCategories };

export type EventCategory = (typeof eventCategories)[number];

/** An event type as published: at its current schema version (older ones are upcast first). */
export type PublishedEventType = {
  readonly type: string;
  readonly version: number;
  readonly category: EventCategory;
  readonly schema: Record<string, unknown>;
};

const isCategory = (value: string): value is EventCategory => (eventCategories as readonly string[]).includes(value);

/** `task.submitted` is appended to `task-<id>` streams only: a type is named after its aggregate. */
export const categoryOfType = (type: string): string => type.slice(0, type.indexOf('.'));

/**
 * Every published event type at its current version, grouped by category, each sorted by
 * type so that documents generated from it are stable. Throws when a schema names a category
 * missing from `eventCategories`, so a new aggregate cannot ship half-documented.
 */
export const eventCatalog = (registry: EventSchemaRegistry): ReadonlyMap<EventCategory, readonly PublishedEventType[]> => {
  const current = new Map<string, PublishedEventType>();
  for (const { type, version, schema } of registry.schemas()) {
    const category = categoryOfType(type);
    if (!isCategory(category)) throw new Error(`event type ${type}: category ${category} is not one of ${eventCategories.join(', ')}`);
    const known = current.get(type);
    if (!known || known.version < version) current.set(type, { type, version, category, schema: schema as Record<string, unknown> });
  }
  const byCategory = new Map<EventCategory, PublishedEventType[]>(eventCategories.map((category) => [category, []]));
  for (const entry of [...current.values()].sort((a, b) => a.type.localeCompare(b.type))) byCategory.get(entry.category)?.push(entry);
  return byCategory;
};
