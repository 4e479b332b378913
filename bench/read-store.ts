/**
 * Commit throughput of the embedded read store: ~1 KB task views committed 500 at a time
 * into a file in a fresh temporary directory (first as new documents, then each replaced
 * once), beside raw better-sqlite3 writing the same rows, prebuilt, into the same table
 * and indexes with the same pragmas: the reference. Each round runs both, each going first
 * in turn, so both see the same machine; the ratios are the medians of the rounds'. Then the latency
 * of reads on the last round's store: get by id, a tenant's list by status, newest first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { createIndex, createTable, upsertDocument, writerPragmas } from '../infra/embedded-read-store-sql.js';
import { openEmbeddedReadStore, type EmbeddedReadStore } from '../infra/embedded-read-store.js';
import { uuidv7 } from '../infra/ids.js';
import type { CollectionSpec, DocumentWrite, ReadDocument } from '../projections/read-store.js';
import { median, percentile } from './statistics.js';

const documents = 100_000;
const perCommit = 500;
const rounds = 4;
const statuses = ['submitted', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;
const kinds = ['echo', 'sleep', 'http.get', 'shell'] as const;
/** The task view's indexes (projections/tasks/task-projector.ts). */
const spec: CollectionSpec = {
  name: 'tasks',
  indexes: [
    ['tenant', 'status'],
    ['tenant', 'kind'],
    ['tenant', 'instance_id', 'status'],
  ],
};

type TaskLike = ReadDocument & Record<string, unknown>;

/** Shaped like a task view, padded so that its JSON is about 1 KB. */
const taskView = (id: string, n: number, revision: number): TaskLike => ({
  id,
  tenant: `team-${n % 10}`,
  seq: n + 1,
  revision,
  position: n + 1 + revision,
  status: statuses[(n + revision) % statuses.length] as string,
  kind: kinds[n % kinds.length] as string,
  instance_id: `instance-${n % 50}`,
  input: { message: 'x'.repeat(670), n },
  outputs: revision > 0 ? { ok: true } : null,
  required_skills: ['git', 'python'],
  attempts: 1,
  created_at: '2026-01-01T00:00:00.000Z',
  started_at: null,
  finished_at: null,
  error: null,
});

const now = () => performance.now();

/** Two rounds of writes (new documents, then each replaced): the same rows for both sides. */
const workload = () => {
  const ids = Array.from({ length: documents }, () => uuidv7());
  return [0, 1].map((revision) => ids.map((id, n) => taskView(id, n, revision)));
};

const commitEmbedded = async (store: EmbeddedReadStore, docs: readonly TaskLike[]): Promise<number> => {
  const started = now();
  for (let i = 0; i < docs.length; i += perCommit) {
    const writes: DocumentWrite[] = docs.slice(i, i + perCommit).map((doc) => ({ collection: spec.name, doc }));
    await store.commit(writes, { tasks: { position: i + perCommit, lanes: { log: i + perCommit } } });
  }
  return (docs.length * 1000) / (now() - started);
};

/** The reference: the same table, indexes and pragmas, rows prebuilt, one transaction per commit. */
const commitRaw = (db: Database.Database, rows: readonly (readonly [string, string, number, string])[]): number => {
  const upsert = db.prepare(upsertDocument(spec.name));
  const commit = db.transaction((batch: readonly (readonly [string, string, number, string])[]) => {
    for (const row of batch) upsert.run(...row);
  });
  const started = now();
  for (let i = 0; i < rows.length; i += perCommit) commit(rows.slice(i, i + perCommit));
  return (rows.length * 1000) / (now() - started);
};

const openRaw = (file: string): Database.Database => {
  const db = new Database(file);
  for (const pragma of writerPragmas) db.pragma(pragma);
  db.exec(createTable(spec.name, 'seq'));
  for (const [i, fields] of spec.indexes.entries()) db.exec(createIndex(spec.name, fields, String(i)));
  return db;
};

/** Mean and p99 in microseconds of `run` over `times` calls. */
const latency = async (times: number, run: (i: number) => Promise<unknown>) => {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = now();
    await run(i);
    samples.push((now() - started) * 1000);
  }
  const sorted = samples.sort((a, b) => a - b);
  return { mean_us: Math.round(samples.reduce((sum, sample) => sum + sample, 0) / samples.length), p99_us: Math.round(percentile(sorted, 99)) };
};

export async function benchReadStore(): Promise<Record<string, unknown>> {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-read-'));
  try {
    const [inserts, updates] = workload() as [TaskLike[], TaskLike[]];
    const bytes = inserts.reduce((sum, doc) => sum + JSON.stringify(doc).length, 0) / inserts.length;
    const figures = { embedded_insert: [] as number[], raw_insert: [] as number[], embedded_update: [] as number[], raw_update: [] as number[] };
    let reads: Record<string, unknown> = {};
    for (let round = 0; round < rounds; round++) {
      // Prebuilt, as a projector's documents would be: the raw side pays no encoding, the store does.
      const rows = [inserts, updates].map((docs) => docs.map((doc) => [doc.id, doc.tenant, doc.seq, JSON.stringify(doc)] as const));
      const runRaw = () => {
        const raw = openRaw(join(directory, `raw-${round}.sqlite`));
        figures.raw_insert.push(commitRaw(raw, rows[0] as never));
        figures.raw_update.push(commitRaw(raw, rows[1] as never));
        raw.close();
      };
      const store = openEmbeddedReadStore({ file: join(directory, `embedded-${round}.sqlite`) });
      await store.prepare([spec]);
      const runEmbedded = async () => {
        figures.embedded_insert.push(await commitEmbedded(store, inserts));
        figures.embedded_update.push(await commitEmbedded(store, updates));
      };
      // Each side goes first in turn: the second runs while the kernel still writes back the first's pages.
      if (round % 2 === 0) {
        runRaw();
        await runEmbedded();
      } else {
        await runEmbedded();
        runRaw();
      }
      if (round === rounds - 1) {
        const tasks = store.collection<TaskLike>(spec.name);
        const ids = inserts.map((doc) => doc.id);
        const tenantStatus = (i: number) => ({ tenant: `team-${i % 10}`, status: statuses[(i >> 4) % statuses.length] as string });
        reads = {
          get: await latency(20_000, (i) => tasks.get(ids[(i * 7919) % ids.length] as string)),
          list_tenant_status_50: await latency(5_000, (i) => tasks.list(tenantStatus(i), { limit: 50 })),
          list_tenant_status_50_before: await latency(5_000, (i) => tasks.list(tenantStatus(i), { limit: 50, before: documents / 2 })),
          count_tenant_status: await latency(2_000, (i) => tasks.count(tenantStatus(i))),
        };
      }
      await store.close();
    }
    const ratio = (embedded: number[], raw: number[]) => Math.round(median(embedded.map((value, i) => value / (raw[i] as number))) * 100) / 100;
    const rounded = (values: number[]) => values.map(Math.round);
    return {
      // Other processes' load moves every figure here (the ratios less): say what it was.
      load_average_1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
      documents,
      per_commit: perCommit,
      document_bytes: Math.round(bytes),
      indexes: spec.indexes.length + 1,
      embedded_insert_docs_per_s: rounded(figures.embedded_insert),
      raw_insert_docs_per_s: rounded(figures.raw_insert),
      insert_ratio: ratio(figures.embedded_insert, figures.raw_insert),
      embedded_update_docs_per_s: rounded(figures.embedded_update),
      raw_update_docs_per_s: rounded(figures.raw_update),
      update_ratio: ratio(figures.embedded_update, figures.raw_update),
      reads,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify({ bench: 'read-store', ...(await benchReadStore()) })}\n`);
}
