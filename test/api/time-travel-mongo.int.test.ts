import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { withDatabase } from '../../infra/mongo-read-store.js';
import { timeTravelSpecifications } from './time-travel-specifications.js';

const mongoUrl = process.env.MONGODB_URL;

t.test(
  'time travel and history with the read models in MongoDB: every resource as it was, and its events',
  { skip: !mongoUrl && 'MONGODB_URL not set: start the engines with eval "$(node dist/cli.js engines up)"' },
  async (t) => {
    const database = `bosun_t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    t.teardown(async () => {
      const client = new MongoClient(mongoUrl as string);
      await client
        .db(database)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    });
    await timeTravelSpecifications(t, { mongodbUrl: withDatabase(mongoUrl as string, database) });
  },
);
