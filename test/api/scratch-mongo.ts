import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { withDatabase } from '../../infra/mongo-read-store.js';

/** The MongoDB of the integration suites, when `.ci/run` or `engines up` set it. */
export const mongoUrl = process.env.MONGODB_URL;
export const noMongo = !mongoUrl && 'MONGODB_URL not set: start the engines with eval "$(node dist/cli.js engines up)"';

/** Drops a database the test made; one already gone is fine. */
export const dropDatabase = async (database: string): Promise<void> => {
  const client = new MongoClient(mongoUrl as string);
  await client
    .db(database)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
};

/** A database of the test's own, dropped at its end: answers its connection string. */
export const scratchMongoUrl = (t: { teardown: (fn: () => Promise<void>) => void }, prefix: string): string => {
  const database = `${prefix}${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  t.teardown(() => dropDatabase(database));
  return withDatabase(mongoUrl as string, database);
};
