/**
 * Stored events are never rewritten; an old version is upcast on read instead. For each
 * event type, `upcasters[type][n]` turns version n's data into version n + 1's.
 */
export type Upcasters = Readonly<Record<string, Readonly<Record<number, (data: Record<string, unknown>) => Record<string, unknown>>>>>;

/** Data of `type` stored at `version`, as the newest version `current` reads. */
export const upcast = (upcasters: Upcasters, type: string, version: number, current: number, data: unknown): unknown => {
  let upcasted = data;
  for (let from = version; from < current; from++) {
    const step = upcasters[type]?.[from];
    if (!step) throw new Error(`no upcaster for ${type} from v${from} to v${from + 1}`);
    upcasted = step(upcasted as Record<string, unknown>);
  }
  return upcasted;
};
