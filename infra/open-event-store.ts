/**
 * The event store configuration names: KurrentDB at EVENTSTORE_URL, else the embedded one
 * in the data directory; appends through it are hash-chained (events/hash-chain.ts).
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { EventStore } from '../events/event-store.js';
import { withHashChain } from '../events/hash-chain.js';
import type { Config } from './config.js';
import { openEmbeddedEventStore } from './embedded-event-store.js';

export const openEventStore = async (config: Pick<Config, 'eventStoreUrl' | 'dataDir'>, logger: Logger): Promise<EventStore> => {
  if (config.eventStoreUrl) {
    logger.info({ adapter: 'kurrentdb' }, 'event store');
    // Loaded only when configured: the gRPC client is heavy and the embedded default needs none of it.
    const { openKurrentDbEventStore } = await import('./kurrentdb-event-store.js');
    return withHashChain(openKurrentDbEventStore({ connectionString: config.eventStoreUrl, logger }));
  }
  mkdirSync(config.dataDir, { recursive: true });
  logger.info({ adapter: 'embedded', directory: config.dataDir }, 'event store');
  return withHashChain(openEmbeddedEventStore({ directory: config.dataDir, logger }));
};
