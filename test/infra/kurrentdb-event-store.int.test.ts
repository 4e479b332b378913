import { randomUUID } from 'node:crypto';
import t from 'tap';
import { eventHash, withHashChain } from '../../events/hash-chain.js';
import { openKurrentDbEventStore } from '../../infra/kurrentdb-event-store.js';
import { testMetadata } from '../events/event-metadata.js';
import { eventStoreContract } from '../events/event-store.contract.js';

const url = process.env.EVENTSTORE_URL;

if (url) {
  eventStoreContract(t, 'kurrentdb', async () => {
    const store = openKurrentDbEventStore({ connectionString: url });
    return { store, cleanup: () => store.close() };
  });

  t.test('kurrentdb: appends through the hash chain link each event to the one before, as stored', async (t) => {
    const store = withHashChain(openKurrentDbEventStore({ connectionString: url }));
    t.teardown(() => store.close());
    const stream = `chain-${randomUUID()}`;
    const event = (n: number) => ({ id: randomUUID(), type: 'test.happened', tenant: 'team-a', data: { n }, metadata: testMetadata() });
    await store.append(stream, [event(0), event(1)], 'no_stream');
    await store.append(stream, [event(2)], 1);
    await Promise.all([store.append(stream, [event(3)], 'any'), store.append(stream, [event(4)], 'any')]);
    let prev: string | null = null;
    for (const recorded of await store.readStream(stream)) {
      t.equal(recorded.metadata.chain?.hash, eventHash(recorded), `revision ${recorded.revision}: its hash covers it as stored`);
      t.equal(recorded.metadata.chain?.prev, prev, `revision ${recorded.revision}: linked to the one before`);
      prev = recorded.metadata.chain?.hash ?? null;
    }
  });
} else {
  t.test(
    'kurrentdb: event-store contract',
    { skip: 'EVENTSTORE_URL is not set; run it with EVENTSTORE_URL="kurrentdb://localhost:2113?tls=false" npm run test:int' },
    () => {},
  );
}
