/**
 * `bosun replay` with its read models in a scratch database of a MongoDB-compatible server,
 * beside a Bosun whose read models are in another database of that server.
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { withDatabase } from '../../infra/mongo-read-store.js';
import { startTestBosun } from './harness.js';
import { replayScenario } from './replay-scenario.js';

const mongoUrl = process.env.MONGODB_URL;
const skip = !mongoUrl && 'MONGODB_URL not set: start the engines with eval "$(node dist/cli.js engines up)"';

t.test('replays of a fleet into a scratch MongoDB database', { skip }, async (t) => {
  const database = `bosun_t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
  const client = new MongoClient(mongoUrl as string);
  const app = await startTestBosun({ mongodbUrl: withDatabase(mongoUrl as string, database) });
  const databasesBefore = new Set((await client.db().admin().listDatabases()).databases.map((db) => db.name));
  t.teardown(async () => {
    await app.stop();
    await client.db(database).dropDatabase();
    await client.close();
  });
  await replayScenario(t, app, mongoUrl as string);

  t.test('then no scratch database is left behind', async (t) => {
    const left = (await client.db().admin().listDatabases()).databases
      .map((db) => db.name)
      .filter((name) => name.startsWith('bosun_replay_') && !databasesBefore.has(name));
    t.same(left, []);
  });
});
