/**
 * Commit throughput of the MongoDB read store (documents/s of ~1 KB read documents), next to
 * the same server's raw speed measured in the same run with the plain driver: bulkWrites of
 * replaceOne upserts of the same documents into a collection with the same indexes, at the
 * chunking that was fastest for raw. Rounds alternate raw and adapter so both see the same
 * server; each round inserts new documents, then replaces them all (as projectors mostly do).
 * Needs MONGODB_URL; runs in a database of its own, dropped at the end.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { BSON, MongoClient, type AnyBulkWriteOperation, type Collection } from 'mongodb';
import { createLogger } from '../infra/logger.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_WRITE_CONCURRENCY, FERRETDB_MAX_WRITES_IN_FLIGHT, openMongoReadStore } from '../infra/mongo-read-store.js';
import type { ReadDocument } from '../projections/read-store.js';
import { median } from './statistics.js';

type TaskDoc = ReadDocument & Record<string, unknown>;

/** Shaped like a task view: a few indexed scalars, an input and a result, about 1 KB in BSON. */
const taskDoc = (round: number, n: number, revision: number): TaskDoc => ({
  id: `task-${round}-${n.toString().padStart(6, '0')}`,
  tenant: `team-${n % 8}`,
  seq: round * 1_000_000 + n + 1,
  revision,
  status: ['queued', 'running', 'completed'][revision % 3] as string,
  kind: 'echo',
  instance_id: `inst-${n % 16}`,
  submitted_at: new Date(1_700_000_000_000 + n * 1000).toISOString(),
  attempt: revision,
  required_skills: ['python', 'browser'],
  input: { message: 'x'.repeat(560), n },
  result: revision > 0 ? { output: 'y'.repeat(120), exit_code: 0 } : null,
  error: null,
});

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

export type Stored = { _id: string } & Record<string, unknown>;

const toReplace = (doc: ReadDocument): AnyBulkWriteOperation<Stored> => {
  const { id, ...fields } = doc;
  return { replaceOne: { filter: { _id: id }, replacement: { _id: id, ...fields }, upsert: true } };
};

/** The raw reference: prebuilt operations, `chunk` per bulkWrite, `inFlight` bulkWrites at once. */
export const rawWrite = async (collection: Collection<Stored>, docs: readonly ReadDocument[], chunk: number, inFlight: number): Promise<number> => {
  const operations = docs.map(toReplace);
  const chunks: AnyBulkWriteOperation<Stored>[][] = [];
  for (let start = 0; start < operations.length; start += chunk) chunks.push(operations.slice(start, start + chunk));
  const started = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < chunks.length) await collection.bulkWrite(chunks[next++] as AnyBulkWriteOperation<Stored>[], { ordered: false });
    }),
  );
  return docs.length / seconds(started);
};

export async function benchMongoReadStore(): Promise<Record<string, unknown>> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'stderr');
  const url = process.env.MONGODB_URL;
  if (!url) {
    const skipped = 'MONGODB_URL not set: start the engines with eval "$(node dist/cli.js engines up)"';
    logger.warn(skipped);
    return { skipped };
  }
  // FerretDB writes a few hundred documents/s: 1,000 per round keeps a round to seconds there.
  const perRound = Number(process.env.BENCH_MONGO_DOCS ?? 1000);
  const rounds = Number(process.env.BENCH_MONGO_ROUNDS ?? 3);
  // Writes in flight, for raw and adapter alike: more wedges FerretDB for good (see the adapter).
  // On MongoDB set it higher (and BENCH_MONGO_BATCH) to let both use larger batches.
  const maxWritesInFlight = Number(process.env.BENCH_MONGO_MAX_IN_FLIGHT ?? FERRETDB_MAX_WRITES_IN_FLIGHT);
  const batchSize = Number(process.env.BENCH_MONGO_BATCH ?? DEFAULT_BATCH_SIZE);
  const writeConcurrency = Number(process.env.BENCH_MONGO_CONCURRENCY ?? DEFAULT_WRITE_CONCURRENCY);
  // The adapter's commits are this many writes each, as a projection runner's batches.
  const commitSize = 500;
  const database = `bosun_bench_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const client = new MongoClient(url);
  const store = openMongoReadStore({ url, database, logger, batchSize, writeConcurrency, maxWritesInFlight });
  const db = client.db(database);
  const indexes = [
    ['tenant', 'status'],
    ['tenant', 'instance_id'],
  ];
  let collections = 0;
  const rawCollection = async () => {
    const name = `raw_${collections++}`;
    // The same indexes as the adapter's prepare makes, so both do the same work per document.
    await db
      .collection(name)
      .createIndexes([{ key: { tenant: 1, seq: -1 } }, ...indexes.map((fields) => ({ key: { ...Object.fromEntries(fields.map((f) => [f, 1])), seq: -1 } }))]);
    return db.collection<Stored>(name);
  };
  const adapterCollection = async () => {
    const name = `adapter_${collections++}`;
    await store.prepare([{ name, indexes }]);
    return name;
  };
  const adapterWrite = async (name: string, docs: readonly TaskDoc[]): Promise<number> => {
    const started = process.hrtime.bigint();
    for (let start = 0; start < docs.length; start += commitSize) {
      const slice = docs.slice(start, start + commitSize);
      await store.commit(
        slice.map((doc) => ({ collection: name, doc })),
        { bench: { position: (slice.at(-1) as TaskDoc).seq, lanes: { log: (slice.at(-1) as TaskDoc).seq } } },
      );
    }
    return docs.length / seconds(started);
  };

  try {
    const { id, ...fields } = taskDoc(0, 0, 1);
    const docBytes = BSON.calculateObjectSize({ _id: id, ...fields });

    // Raw's best chunking, on a smaller sample: each candidate inserts then replaces 400
    // documents in a fresh collection; the fastest over both is raw's reference.
    const allCandidates: [chunk: number, inFlight: number][] = [
      [32, 1],
      [16, 2],
      [8, 4],
      [4, 8],
      [2, 16],
      [100, 1],
      [1000, 1],
      [250, 4],
      [1000, 4],
    ];
    const candidates = allCandidates.filter(([chunk, inFlight]) => chunk * inFlight <= maxWritesInFlight);
    const chunking: Record<string, number> = {};
    let best = { chunk: 1, inFlight: 1, rate: 0 };
    for (const [chunk, inFlight] of candidates) {
      const sample = Math.min(perRound, 400);
      const collection = await rawCollection();
      const round = 900 + collections;
      const started = process.hrtime.bigint();
      await rawWrite(
        collection,
        Array.from({ length: sample }, (_, n) => taskDoc(round, n, 0)),
        chunk,
        inFlight,
      );
      await rawWrite(
        collection,
        Array.from({ length: sample }, (_, n) => taskDoc(round, n, 1)),
        chunk,
        inFlight,
      );
      const rate = (2 * sample) / seconds(started);
      chunking[`${chunk}x${inFlight}`] = Math.round(rate);
      logger.info({ chunk, inFlight, documents_per_s: Math.round(rate) }, 'raw chunking tried');
      if (rate > best.rate) best = { chunk, inFlight, rate };
    }

    const raw = { insert: [] as number[], replace: [] as number[] };
    const adapter = { insert: [] as number[], replace: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      const inserted = Array.from({ length: perRound }, (_, n) => taskDoc(round, n, 0));
      const replaced = Array.from({ length: perRound }, (_, n) => taskDoc(round, n, 1));
      // Alternate which goes first, so neither always meets the server warmer.
      const order = round % 2 === 0 ? ['raw', 'adapter'] : ['adapter', 'raw'];
      for (const which of order) {
        if (which === 'raw') {
          const collection = await rawCollection();
          raw.insert.push(await rawWrite(collection, inserted, best.chunk, best.inFlight));
          raw.replace.push(await rawWrite(collection, replaced, best.chunk, best.inFlight));
        } else {
          const name = await adapterCollection();
          adapter.insert.push(await adapterWrite(name, inserted));
          adapter.replace.push(await adapterWrite(name, replaced));
        }
      }
      logger.info(
        {
          round,
          raw_insert: Math.round(raw.insert.at(-1) ?? 0),
          adapter_insert: Math.round(adapter.insert.at(-1) ?? 0),
          raw_replace: Math.round(raw.replace.at(-1) ?? 0),
          adapter_replace: Math.round(adapter.replace.at(-1) ?? 0),
        },
        'round done',
      );
    }
    const ratio = (a: number[], r: number[]) => Math.round(median(a.map((value, i) => value / (r[i] as number))) * 100) / 100;
    return {
      document_bytes: docBytes,
      documents_per_round: perRound,
      rounds,
      writes_in_flight_max: maxWritesInFlight,
      adapter_batch: batchSize,
      adapter_concurrency: writeConcurrency,
      raw_chunk: best.chunk,
      raw_in_flight: best.inFlight,
      raw_chunking_tried_documents_per_s: chunking,
      insert_adapter_documents_per_s: Math.round(median(adapter.insert)),
      insert_raw_documents_per_s: Math.round(median(raw.insert)),
      insert_ratio: ratio(adapter.insert, raw.insert),
      replace_adapter_documents_per_s: Math.round(median(adapter.replace)),
      replace_raw_documents_per_s: Math.round(median(raw.replace)),
      replace_ratio: ratio(adapter.replace, raw.replace),
    };
  } finally {
    await db.dropDatabase().catch((error: unknown) => logger.warn({ err: error, database }, 'could not drop the benchmark database'));
    await store.close();
    await client.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify({ bench: 'mongo-read-store', ...(await benchMongoReadStore()) })}\n`);
}
