/**
 * The audit sealer: seals the log every N events, or after T seconds when anything is
 * unsealed, and at a clean stop; a seal alone calls for no other; a restart folds on from
 * its last seal; its seals are signed with the configured key and the log verifies against them.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { sealEventType, sealSignedBy, type Seal } from '../../events/audit-seal.js';
import { verifyLog } from '../../events/audit-verify.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import type { EventStore, NewEvent } from '../../events/event-store.js';
import { withHashChain } from '../../events/hash-chain.js';
import { auditStream } from '../../events/streams.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { createLogger } from '../../infra/logger.js';
import { AuditSealer, type AuditSealerOptions } from '../../processes/audit-sealer.js';
import { testMetadata } from '../events/event-metadata.js';

const schemas = loadEventSchemas();
const logger = createLogger('silent');
const systemTeamId = 'team-system';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');

let counter = 0;
const append = async (store: EventStore, count: number): Promise<void> => {
  for (let i = 0; i < count; i++) {
    const event: NewEvent = { id: `event-${++counter}`, type: 'test.happened', tenant: 'team-a', data: { n: counter }, metadata: testMetadata() };
    await store.append(`thing-${counter}`, [event], 'no_stream');
  }
};

const sealsOf = async (store: EventStore): Promise<Seal[]> =>
  (await store.readStream(auditStream(systemTeamId))).filter((event) => event.type === sealEventType).map((event) => event.data as Seal);

/** Waits until the log holds `count` seals (the sealer appends them after the events it saw). */
const untilSeals = async (store: EventStore, count: number): Promise<Seal[]> => {
  for (let tries = 0; ; tries++) {
    const seals = await sealsOf(store);
    if (seals.length >= count || tries > 200) return seals;
    await sleep(50);
  }
};

const setUp = (t: Test) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-sealer-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
};

const sealer = (store: EventStore, options: Partial<AuditSealerOptions> = {}) =>
  new AuditSealer({ events: store, schemas, systemTeamId, signingKey: privateKey, sealEvents: 3, sealSeconds: 3600, logger, ...options });

t.test('every 3 events a seal, one more at a clean stop, each signed, and the log verifies against them', async (t) => {
  const store = withHashChain(openEmbeddedEventStore({ directory: setUp(t) }));
  t.teardown(() => store.close());
  const running = sealer(store);
  await running.start();
  await append(store, 7);
  const whileRunning = await untilSeals(store, 2);
  t.equal(whileRunning.length, 2, 'two seals for 7 events while running');
  t.match(whileRunning[0], { events_count: 3, through_position: 3 }, 'the first seal covers the first 3 events');
  await running.stop();
  const seals = await sealsOf(store);
  t.equal(seals.at(-1)?.through_position, (await store.headPosition()) - 1, 'the stop sealed everything before its own seal');
  t.ok(
    seals.every((seal) => sealSignedBy(seal, publicKey)),
    'each seal is signed by the key',
  );
  t.match(await verifyLog(store, { seals: { source: 'log', list: seals }, publicKey }), { intact: true, seals: { matched: seals.length } });
});

t.test('after a restart it folds on from its last seal; seals alone call for no seal', async (t) => {
  const directory = setUp(t);
  const store = withHashChain(openEmbeddedEventStore({ directory }));
  t.teardown(() => store.close());
  const first = sealer(store);
  await first.start();
  await append(store, 4);
  await first.stop();
  const before = await sealsOf(store);

  const idle = sealer(store);
  await idle.start();
  await idle.stop();
  t.equal((await sealsOf(store)).length, before.length, 'nothing but seals since the last seal: no new one');

  const second = sealer(store);
  await second.start();
  await append(store, 3);
  await second.stop();
  const seals = await sealsOf(store);
  t.ok(seals.length > before.length, 'sealed on');
  t.match(await verifyLog(store, { seals: { source: 'log', list: seals }, publicKey }), { intact: true, seals: { matched: seals.length } });
});

t.test('with fewer events than a seal needs, the timer seals them', async (t) => {
  const store = withHashChain(openEmbeddedEventStore({ directory: setUp(t) }));
  t.teardown(() => store.close());
  const running = sealer(store, { sealEvents: 1000, sealSeconds: 1, signingKey: null });
  await running.start();
  await append(store, 2);
  const [seal] = await untilSeals(store, 1);
  t.match(seal, { events_count: 2, signature: null }, 'sealed without waiting for 1,000 events, unsigned without a key');
  await running.stop();
});
