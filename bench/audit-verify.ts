/**
 * `bosun audit verify` over a log of BENCH_EVENTS (default 1,000,000) hash-chained task
 * events on the embedded store, sealed every 10,000 events, beside the same pages read
 * and SHA-256'd with no checks (the bytes verify hashes: each event's canonical
 * encoding), and beside reading alone. Figures are the best of BENCH_ROUNDS (default 3)
 * alternating rounds.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GlobalChain, signSeal, type Seal } from '../events/audit-seal.js';
import { verifyLog } from '../events/audit-verify.js';
import type { EventStore } from '../events/event-store.js';
import { canonicalEventBytes, eventHash, withHashChain } from '../events/hash-chain.js';
import { openEmbeddedEventStore } from '../infra/embedded-event-store.js';
import { seedTaskLog } from './read-side.js';

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
const pageSize = 1000;

/** Reads every page as verify does; `use` sees each event. */
const scan = async (events: EventStore, use: (event: Awaited<ReturnType<EventStore['readAll']>>[number]) => void): Promise<number> => {
  const started = process.hrtime.bigint();
  let count = 0;
  for (let after = 0; ;) {
    const page = await events.readAll({ after, maxCount: pageSize });
    if (page.length === 0) break;
    for (const event of page) use(event);
    count += page.length;
    after = (page.at(-1) as { position: number }).position;
  }
  return count / seconds(started);
};

/** The seals a sealer sealing every 10,000 events would have written. */
const sealsOf = async (events: EventStore): Promise<Seal[]> => {
  const chain = new GlobalChain();
  const seals: Seal[] = [];
  await scan(events, (event) => {
    chain.add(event.position, event.id, eventHash(event));
    const state = chain.state();
    if (state && chain.count % 10_000 === 0) seals.push(signSeal(state, null));
  });
  return seals;
};

export async function benchAuditVerify(): Promise<object> {
  const count = Number(process.env.BENCH_EVENTS ?? 1_000_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-audit-'));
  const events = withHashChain(openEmbeddedEventStore({ directory }));
  try {
    let started = process.hrtime.bigint();
    await seedTaskLog(events, count);
    const seedS = seconds(started);
    const seals = await sealsOf(events);
    const best = { read: 0, readHash: 0, verify: 0 };
    let intact = true;
    for (let round = 0; round < rounds; round++) {
      best.read = Math.max(best.read, await scan(events, () => undefined));
      best.readHash = Math.max(best.readHash, await scan(events, (event) => createHash('sha256').update(canonicalEventBytes(event)).digest('hex')));
      started = process.hrtime.bigint();
      const report = await verifyLog(events, { seals: { source: 'file', list: seals } });
      best.verify = Math.max(best.verify, report.events / seconds(started));
      intact &&= report.intact && report.seals.matched === seals.length;
    }
    return {
      events: count,
      seals: seals.length,
      intact,
      seed_chained_appends_events_per_s: Math.round(count / seedS),
      read_events_per_s: Math.round(best.read),
      read_hash_events_per_s: Math.round(best.readHash),
      verify_events_per_s: Math.round(best.verify),
      verify_ratio: +(best.verify / best.readHash).toFixed(2),
    };
  } finally {
    await events.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify({ bench: 'audit-verify', ...(await benchAuditVerify()) })}\n`);
}
