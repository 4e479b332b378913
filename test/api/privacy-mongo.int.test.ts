import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { withDatabase } from '../../infra/mongo-read-store.js';
import { privacyScenario } from './privacy-scenario.js';

const mongoUrl = process.env.MONGODB_URL;

t.test(
  'personal data with the read models in MongoDB: sealed there too, revealed at the edge, erased by deleting the key',
  { skip: !mongoUrl && 'MONGODB_URL not set: start the engines with eval "$(node dist/cli.js engines up)"' },
  async (t) => {
    const database = `bosun_p${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    t.teardown(async () => {
      const client = new MongoClient(mongoUrl as string);
      await client
        .db(database)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    });
    await privacyScenario(t, { mongodbUrl: withDatabase(mongoUrl as string, database) });
  },
);
