/**
 * `bosun replay` of a large log (BENCH_EVENTS task events, default 1,000,000) on the embedded
 * stores, beside its reference in the same run: rebuilding every projection one after the
 * other as `bosun projections verify` does (one pass over the log each). The replay is one
 * pass for all of them; the export and the time cut's extra read of the log are reported
 * apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { exportReplay } from '../api/replay-export.js';
import { loadEventSchemas } from '../events/event-schemas.js';
import { withUpcasting } from '../events/upcasting-event-store.js';
import { openEmbeddedEventLog } from '../infra/embedded-event-log-reader.js';
import { openEmbeddedEventStore } from '../infra/embedded-event-store.js';
import { openEmbeddedReadStore } from '../infra/embedded-read-store.js';
import { eventUpcasters } from '../infra/open-event-store.js';
import { openDataKeys } from '../infra/secret-keys.js';
import { lookupProjectors, readModelProjectors } from '../projections/read-models.js';
import { rebuildProjection } from '../projections/rebuild.js';
import { logAsOf, replayReadModels, resolveCut } from '../projections/replay.js';
import { seedTaskLog } from './read-side.js';

const logger = pino({ enabled: false });
const seconds = (since: bigint) => +(Number(process.hrtime.bigint() - since) / 1e9).toFixed(2);

export async function benchReplay(): Promise<object> {
  const count = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-replay-'));
  try {
    const writer = openEmbeddedEventStore({ directory });
    await seedTaskLog(writer, count);
    await writer.close();
    const log = openEmbeddedEventLog(directory);
    const schemas = loadEventSchemas();
    const projectors = [...lookupProjectors, ...readModelProjectors].filter((p, at, all) => all.findIndex((q) => q.name === p.name) === at);
    try {
      // The reference: each projection rebuilt from the whole log in turn, as verify does.
      const events = withUpcasting(logAsOf(log, await resolveCut(log, String(await log.headPosition()))), schemas, eventUpcasters);
      const verifyStore = openEmbeddedReadStore({ file: join(directory, 'verify.sqlite'), logger });
      let started = process.hrtime.bigint();
      for (const projector of projectors) await rebuildProjection({ projector, events, store: verifyStore });
      const eachInTurn = seconds(started);
      await verifyStore.close();

      started = process.hrtime.bigint();
      const cut = await resolveCut(log, new Date().toISOString());
      const timeCut = seconds(started);
      const store = openEmbeddedReadStore({ file: join(directory, 'replay.sqlite'), logger });
      started = process.hrtime.bigint();
      await replayReadModels({
        log: withUpcasting(logAsOf(log, cut), schemas, eventUpcasters),
        targets: [{ label: 'all', store, projectors }],
      });
      const replay = seconds(started);
      const out = mkdtempSync(join(tmpdir(), 'bosun-bench-replay-out-'));
      started = process.hrtime.bigint();
      const dataKeys = openDataKeys({ dataDir: directory, masterKey: null }, logger);
      const manifest = await exportReplay({ lookups: store, readStore: store, cut, dir: out, replayedAt: new Date(), personal: dataKeys.personal });
      await dataKeys.close();
      const exported = seconds(started);
      rmSync(out, { recursive: true, force: true });
      await store.close();
      return {
        events: count,
        projections: projectors.length,
        every_projection_rebuilt_in_turn_s: eachInTurn,
        replay_one_pass_s: replay,
        replay_events_per_s: Math.round(count / replay),
        ratio_to_reference: +(eachInTurn / replay).toFixed(2),
        time_cut_scan_s: timeCut,
        export_s: exported,
        exported_tasks: manifest.collections.tasks?.documents,
      };
    } finally {
      await log.close();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
