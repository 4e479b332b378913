import t from 'tap';
import { MemoryReadStore } from '../../infra/memory-read-store.js';
import { readStoreContract } from '../projections/read-store.contract.js';

readStoreContract(t, 'memory', async () => {
  const store = new MemoryReadStore();
  return { store, cleanup: () => store.close() };
});
