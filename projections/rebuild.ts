import type { EventStore } from '../events/event-store.js';
import { categoryOfStream } from '../events/streams.js';
import type { ProjectionRunner } from './projection-runner.js';
import type { Projector } from './projector.js';
import type { Collection, CollectionSpec, DocumentWrite, ReadDocument, ReadStore } from './read-store.js';
import { StagedWrites } from './staged-writes.js';

export type RebuildProgress = {
  readonly projection: string;
  readonly events: number;
  readonly position: number;
  readonly head: number;
  readonly events_per_second: number;
  readonly eta_seconds: number | null;
};

export type RebuildOptions = {
  readonly projector: Projector;
  readonly events: EventStore;
  readonly store: ReadStore;
  /** The runner serving the live projection, if one runs: the switch happens between two of its batches. */
  readonly runner?: ProjectionRunner;
  readonly onProgress?: (progress: RebuildProgress) => void;
  /** @defaultValue 1000 ms between progress reports */
  readonly progressIntervalMs?: number;
  /** @defaultValue 2000 events read and committed at a time */
  readonly pageSize?: number;
};

/**
 * A store whose collections of one projection are renamed (to scratch storage), so the
 * projector writes where a rebuild wants it without knowing.
 */
const renamed = (store: ReadStore, names: ReadonlyMap<string, string>): ReadStore => {
  const to = (name: string) => names.get(name) ?? name;
  return {
    prepare: (specs) => store.prepare(specs.map((spec) => ({ ...spec, name: to(spec.name) }))),
    collection: <D extends ReadDocument>(name: string): Collection<D> => store.collection<D>(to(name)),
    checkpoint: (name) => store.checkpoint(name),
    commit: (writes: readonly DocumentWrite[], checkpoints) =>
      store.commit(
        writes.map((write) => ({ ...write, collection: to(write.collection) })),
        checkpoints,
      ),
    replace: (target, source) => store.replace(to(target), to(source)),
    drop: (collections, checkpoints) => store.drop(collections.map(to), checkpoints),
    close: async () => undefined,
  };
};

type LogPassOptions = Pick<RebuildOptions, 'events' | 'onProgress' | 'progressIntervalMs' | 'pageSize'> & {
  readonly projectors: readonly Projector[];
  /** Where the projectors write. */
  readonly store: ReadStore;
  /** Named in progress reports. */
  readonly label: string;
};

/**
 * Applies the log from position 0 to projectors, page by page, one commit per page,
 * reporting progress. Answers the position reached and a way to go on to the head.
 */
const passOverLog = (options: LogPassOptions) => {
  const { events, projectors, store } = options;
  const pageSize = options.pageSize ?? 2000;
  const startedAt = Date.now();
  let position = 0;
  let applied = 0;
  let reportedAt = 0;
  /** Applies the log after `position` up to its end. */
  const advance = async () => {
    const head = await events.headPosition();
    for (;;) {
      const page = await events.readAll({ after: position, maxCount: pageSize });
      if (page.length === 0) return;
      const staged = new StagedWrites(store);
      for (const event of page) {
        const category = categoryOfStream(event.stream);
        for (const projector of projectors) if (projector.categories.includes(category)) await projector.apply(event, staged);
        position = event.position;
        applied++;
      }
      await staged.commit([], {});
      const now = Date.now();
      if (options.onProgress && now - reportedAt >= (options.progressIntervalMs ?? 1000)) {
        reportedAt = now;
        const rate = (applied * 1000) / Math.max(1, now - startedAt);
        options.onProgress({
          projection: options.label,
          events: applied,
          position,
          head,
          events_per_second: Math.round(rate),
          eta_seconds: rate > 0 ? Math.ceil(Math.max(0, head - position) / rate) : null,
        });
      }
      if (page.length < pageSize) return;
    }
  };
  return { advance, position: () => position, applied: () => applied, ms: () => Date.now() - startedAt };
};

/**
 * Builds one projection from position 0 into scratch collections (`<name>__<purpose>`) read
 * straight from the log. Answers the position reached and a way to go on to the head.
 */
const buildScratch = async (options: RebuildOptions, purpose: string) => {
  const { projector } = options;
  const names = new Map(projector.collections.map((spec) => [spec.name, `${spec.name}__${purpose}`]));
  const scratch = renamed(options.store, names);
  const scratchSpecs: CollectionSpec[] = projector.collections.map((spec) => ({ ...spec, name: names.get(spec.name) as string }));
  await options.store.drop(
    scratchSpecs.map((spec) => spec.name),
    [],
  );
  // Indexes are made once the bulk of the log is in: one sort at the end costs less than keeping them up to date row by row.
  await options.store.prepare(scratchSpecs.map((spec) => ({ ...spec, indexes: [] })));
  const pass = passOverLog({ ...options, projectors: [projector], store: scratch, label: projector.name });
  await pass.advance();
  await options.store.prepare(scratchSpecs);
  return {
    ...pass,
    names,
    scratch,
    drop: () =>
      options.store.drop(
        scratchSpecs.map((spec) => spec.name),
        [],
      ),
  };
};

/**
 * Builds projectors from position 0 up to the log's head in one pass over the log, straight
 * into their collections of `store`, which must hold none of them yet (a replay's scratch
 * store). A projector listed twice (by name) is built once.
 */
export const buildProjections = async (
  options: LogPassOptions,
): Promise<{ readonly projections: readonly string[]; readonly events: number; readonly position: number; readonly ms: number }> => {
  const projectors = options.projectors.filter((projector, at, all) => all.findIndex((p) => p.name === projector.name) === at);
  const specs = projectors.flatMap((projector) => projector.collections);
  await options.store.prepare(specs.map((spec) => ({ ...spec, indexes: [] })));
  const pass = passOverLog({ ...options, projectors });
  await pass.advance();
  await options.store.prepare(specs);
  return { projections: projectors.map((p) => p.name), events: pass.applied(), position: pass.position(), ms: pass.ms() };
};

export type RebuildResult = { readonly projection: string; readonly events: number; readonly position: number; readonly ms: number };

/**
 * Rebuilds one projection from position 0 into fresh storage while the live one keeps
 * serving, then switches over in one step per collection. Its checkpoint stays the live
 * one's: the rebuilt documents reach at least as far, and what the live projection applies
 * again after the switch is skipped by revision.
 */
export const rebuildProjection = async (options: RebuildOptions): Promise<RebuildResult> => {
  const build = await buildScratch(options, 'rebuild');
  const switchOver = async () => {
    // Inside the runner's turn nothing else is applied: catch up with everything it may have applied.
    await build.advance();
    for (const [live, scratch] of build.names) await options.store.replace(live, scratch);
    options.runner?.adopt(options.projector.name, await options.store.checkpoint(options.projector.name));
  };
  await (options.runner ? options.runner.exclusive(switchOver) : switchOver());
  return { projection: options.projector.name, events: build.applied(), position: build.position(), ms: build.ms() };
};

export type Difference = {
  readonly collection: string;
  readonly id: string;
  readonly problem: 'missing_in_live' | 'missing_in_rebuilt' | 'different';
  /** Top-level fields whose values differ. */
  readonly fields: readonly string[];
};

export type VerifyResult = {
  readonly projection: string;
  readonly documents: number;
  readonly position: number;
  readonly identical: boolean;
  /** The first differences found, at most `maxDifferences`. */
  readonly differences: readonly Difference[];
};

/** JSON with keys sorted, so documents compare whatever order a store kept their fields in. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );

const differingFields = (a: ReadDocument, b: ReadDocument): string[] => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((key) => canonical((a as Record<string, unknown>)[key]) !== canonical((b as Record<string, unknown>)[key])).sort();
};

/** Walks two collections newest first, page by page, in step (`seq` is unique within a read model). */
const compareCollections = async (
  collection: string,
  live: Collection<ReadDocument>,
  rebuilt: Collection<ReadDocument>,
  found: Difference[],
  maxDifferences: number,
): Promise<number> => {
  const pageSize = 500;
  let liveBefore: number | undefined;
  let rebuiltBefore: number | undefined;
  let livePage: ReadDocument[] = [];
  let rebuiltPage: ReadDocument[] = [];
  let liveDone = false;
  let rebuiltDone = false;
  let documents = 0;
  const refill = async () => {
    if (livePage.length === 0 && !liveDone) {
      livePage = await live.list({}, { limit: pageSize, ...(liveBefore === undefined ? {} : { before: liveBefore }) });
      liveDone = livePage.length < pageSize;
      liveBefore = livePage.at(-1)?.seq ?? liveBefore;
    }
    if (rebuiltPage.length === 0 && !rebuiltDone) {
      rebuiltPage = await rebuilt.list({}, { limit: pageSize, ...(rebuiltBefore === undefined ? {} : { before: rebuiltBefore }) });
      rebuiltDone = rebuiltPage.length < pageSize;
      rebuiltBefore = rebuiltPage.at(-1)?.seq ?? rebuiltBefore;
    }
  };
  for (;;) {
    await refill();
    const a = livePage[0];
    const b = rebuiltPage[0];
    if (!a && !b) return documents;
    if (found.length >= maxDifferences) return documents;
    documents++;
    if (a && b && a.seq === b.seq && a.id === b.id) {
      livePage.shift();
      rebuiltPage.shift();
      const fields = differingFields(a, b);
      if (fields.length > 0) found.push({ collection, id: a.id, problem: 'different', fields });
    } else if (!b || (a && a.seq > b.seq) || (a && a.seq === b.seq)) {
      livePage.shift();
      found.push({ collection, id: (a as ReadDocument).id, problem: 'missing_in_rebuilt', fields: [] });
    } else {
      rebuiltPage.shift();
      found.push({ collection, id: b.id, problem: 'missing_in_live', fields: [] });
    }
  }
};

/**
 * Rebuilds a projection into scratch storage and compares it with the live read model
 * document by document, at a moment when the live one has applied exactly the events the
 * rebuilt one has (inside the runner's turn, once it covers the head). Scratch storage is
 * dropped afterwards.
 */
export const verifyProjection = async (options: RebuildOptions & { readonly maxDifferences?: number }): Promise<VerifyResult> => {
  const build = await buildScratch(options, 'verify');
  const maxDifferences = options.maxDifferences ?? 10;
  try {
    for (;;) {
      const head = await options.events.headPosition();
      if (options.runner && !(await options.runner.waitFor(head, 30_000)))
        throw new Error(`the live projection ${options.projector.name} did not reach position ${head} within 30 s`);
      const compared = await (options.runner ?? { exclusive: <T>(work: () => Promise<T>) => work() }).exclusive(async () => {
        await build.advance();
        // The live side may not have applied what arrived since: then try again.
        if (options.runner && !(await options.runner.waitFor(build.position(), 0))) return null;
        const differences: Difference[] = [];
        let documents = 0;
        for (const [live, scratch] of build.names) {
          documents += await compareCollections(live, options.store.collection(live), options.store.collection(scratch), differences, maxDifferences);
        }
        return { documents, differences };
      });
      if (compared) {
        return {
          projection: options.projector.name,
          documents: compared.documents,
          position: build.position(),
          identical: compared.differences.length === 0,
          differences: compared.differences,
        };
      }
    }
  } finally {
    await build.drop();
  }
};
