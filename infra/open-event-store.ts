/**
 * The event store configuration names: KurrentDB at EVENTSTORE_URL, else the embedded one
 * in the data directory; appends through it are hash-chained (events/hash-chain.ts).
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { isErasableToken, subjectOfActor, type PersonalData } from '../commands/personal-data.js';
import { driftUpcasters } from '../domain/drift/upcasters.js';
import { instanceUpcasters } from '../domain/instance/upcasters.js';
import { taskUpcasters } from '../domain/task/upcasters.js';
import { teamUpcasters } from '../domain/team/upcasters.js';
import type { EventSchemaRegistry } from '../events/event-schemas.js';
import type { EventStore } from '../events/event-store.js';
import { withHashChain } from '../events/hash-chain.js';
import { withLegacyPersonalData } from '../events/legacy-personal-data.js';
import { withUpcasting } from '../events/upcasting-event-store.js';
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

/** Every aggregate's upcasters: what reads the log at the newest schema versions passes all of them. */
export const eventUpcasters = [taskUpcasters, teamUpcasters, instanceUpcasters, driftUpcasters];

/**
 * The log as every reader of Bosun sees it: events at their newest schema version, and
 * client IPs and user agents recorded in the clear before sealing existed as erasable
 * tokens. The live read side and a replay read through the same, so they build the same.
 */
export const readableEvents = (store: EventStore, schemas: EventSchemaRegistry, personal: PersonalData): EventStore =>
  withUpcasting(withLegacyPersonalData(store, { legacyToken: personal.legacyToken.bind(personal), isErasableToken }, subjectOfActor), schemas, eventUpcasters);
