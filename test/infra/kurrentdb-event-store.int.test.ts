import t from 'tap';
import { openKurrentDbEventStore } from '../../infra/kurrentdb-event-store.js';
import { eventStoreContract } from '../events/event-store.contract.js';

const url = process.env.EVENTSTORE_URL;

if (url) {
  eventStoreContract(t, 'kurrentdb', async () => {
    const store = openKurrentDbEventStore({ connectionString: url });
    return { store, cleanup: () => store.close() };
  });
} else {
  t.test(
    'kurrentdb: event-store contract',
    { skip: 'EVENTSTORE_URL is not set; run it with EVENTSTORE_URL="kurrentdb://localhost:2113?tls=false" npm run test:int' },
    () => {},
  );
}
