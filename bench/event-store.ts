/**
 * Append throughput of the embedded event store, in a fresh temporary directory:
 * (a) sequential appends of 100 events each, (b) 64 concurrent single-event appends;
 * each on the store alone and through the hash chain (events/hash-chain.ts) as Bosun
 * appends, the chained figures beside the plain ones (the best of BENCH_ROUNDS, default 3,
 * alternating rounds).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EventMetadata, EventStore, NewEvent } from '../events/event-store.js';
import { withHashChain } from '../events/hash-chain.js';
import { openEmbeddedEventStore } from '../infra/embedded-event-store.js';
import { uuidv7 } from '../infra/ids.js';

/** Shaped like what a command handler appends: a fresh envelope per event, a UUIDv7 id as main.ts makes. */
const newEvent = (n: number): NewEvent => {
  const metadata: EventMetadata = {
    actor: { type: 'api_key', id: 'key-0190b0a4' },
    correlation_id: randomUUID(),
    causation_id: null,
    request_id: randomUUID(),
    client_ip: '203.0.113.7',
    user_agent: 'bench/1.0',
    occurred_at: new Date().toISOString(),
    schema_version: 1,
  };
  return {
    id: uuidv7(),
    type: 'task.submitted',
    tenant: 'team-bench',
    data: { kind: 'echo', input: { n }, required_skills: [], timeout_seconds: null },
    metadata,
  };
};

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

const benchAppends = async (wrap: (store: EventStore) => EventStore): Promise<{ batched: number; concurrent: number }> => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-events-'));
  const store = wrap(openEmbeddedEventStore({ directory }));
  try {
    const appends = 200;
    const perAppend = 100;
    // Built beforehand: this figure is the store's; the concurrent one below includes building events.
    const batches = Array.from({ length: appends }, () => Array.from({ length: perAppend }, (_, n) => newEvent(n)));
    let started = process.hrtime.bigint();
    for (const [i, batch] of batches.entries()) await store.append(`batch-${i}`, batch, 'no_stream');
    const batched = (appends * perAppend) / seconds(started);

    const inFlight = 64;
    const durationS = 3;
    let singles = 0;
    started = process.hrtime.bigint();
    const deadline = Date.now() + durationS * 1000;
    await Promise.all(
      Array.from({ length: inFlight }, async (_, writer) => {
        for (let revision = -1; Date.now() < deadline; singles++) {
          revision = (await store.append(`single-${writer}`, [newEvent(revision)], revision === -1 ? 'no_stream' : revision)).revision;
        }
      }),
    );
    return { batched, concurrent: singles / seconds(started) };
  } finally {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  }
};

export async function benchEventStore(): Promise<Record<string, number>> {
  // Alternating rounds, the best of each: the machine's load moves between them.
  const plain = { batched: 0, concurrent: 0 };
  const chained = { batched: 0, concurrent: 0 };
  for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 3); round++) {
    for (const [best, wrap] of [
      [plain, (store: EventStore) => store],
      [chained, withHashChain],
    ] as const) {
      const figures = await benchAppends(wrap);
      best.batched = Math.max(best.batched, figures.batched);
      best.concurrent = Math.max(best.concurrent, figures.concurrent);
    }
  }
  return {
    batched_events_per_s: Math.round(plain.batched),
    concurrent_single_events_per_s: Math.round(plain.concurrent),
    concurrent_in_flight: 64,
    chained_batched_events_per_s: Math.round(chained.batched),
    chained_concurrent_single_events_per_s: Math.round(chained.concurrent),
    chained_batched_ratio: +(chained.batched / plain.batched).toFixed(2),
    chained_concurrent_ratio: +(chained.concurrent / plain.concurrent).toFixed(2),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify({ bench: 'event-store', ...(await benchEventStore()) })}\n`);
}
