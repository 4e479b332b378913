import { randomUUID } from 'node:crypto';
import t from 'tap';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { databaseFromUrl, openMongoReadStore, pingMongo, redactUrl } from '../../infra/mongo-read-store.js';
import { readStoreContract } from '../projections/read-store.contract.js';

const url = process.env.MONGODB_URL;

t.test('connection strings: database from the path, credentials redacted', async (t) => {
  t.equal(databaseFromUrl('mongodb://127.0.0.1:27017/analytics?replicaSet=rs0'), 'analytics');
  t.equal(databaseFromUrl('mongodb://h1:27017,h2:27017/bosun_eu'), 'bosun_eu');
  t.equal(databaseFromUrl('mongodb://127.0.0.1:27017/'), undefined);
  t.equal(databaseFromUrl('mongodb://127.0.0.1:27017'), undefined);
  t.equal(databaseFromUrl('mongodb+srv://u:p@cluster.example.net/?retryWrites=true'), undefined);
  t.equal(redactUrl('mongodb://user:secret@127.0.0.1:27017/bosun'), 'mongodb://***@127.0.0.1:27017/bosun');
  t.equal(redactUrl('mongodb://127.0.0.1:27017/bosun'), 'mongodb://127.0.0.1:27017/bosun');
});

if (url) {
  // One database per run, dropped at the end, so the suite can run against a shared server.
  const database = `bosun_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
  const open = () => openMongoReadStore({ url, database, logger });
  t.teardown(async () => {
    const client = new MongoClient(url);
    try {
      await client.db(database).dropDatabase();
    } finally {
      await client.close();
    }
  });

  readStoreContract(t, 'mongodb', async () => {
    const store = open();
    return { store, cleanup: () => store.close() };
  });

  t.test('mongodb: documents as analytics jobs see them with the plain driver', async (t) => {
    const store = open();
    t.teardown(() => store.close());
    const name = `tasks_${randomUUID().slice(0, 8)}`;
    await store.prepare([{ name, indexes: [['tenant', 'status']] }]);
    await store.prepare([{ name, indexes: [['tenant', 'status']] }]);
    await store.commit([{ collection: name, doc: { id: 't-1', tenant: 'team-a', seq: 3, revision: 0, status: 'queued' } as never }], {
      projector: { position: 3, lanes: { 'bosun.task/0': 3 } },
    });
    const client = new MongoClient(url);
    t.teardown(() => client.close());
    const db = client.db(database);
    t.same(await db.collection(name).findOne({}), { _id: 't-1', tenant: 'team-a', seq: 3, revision: 0, status: 'queued' }, '_id is the id, fields top-level');
    const indexes = (await db.collection(name).indexes()).map((index) => index.key);
    t.same(indexes, [{ _id: 1 }, { tenant: 1, seq: -1 }, { tenant: 1, status: 1, seq: -1 }], 'prepare twice made each index once');
    t.same(await db.collection<{ _id: string }>('_checkpoints').findOne({ _id: 'projector' }), { _id: 'projector', position: 3, lanes: [{ lane: 'bosun.task/0', offset: 3 }] });
    t.same(await store.collection(name).list({ id: 't-1' }, { limit: 5 }), [{ id: 't-1', tenant: 'team-a', seq: 3, revision: 0, status: 'queued' }], 'a filter on id');
    await t.rejects(store.collection(name).list({ tenant: { $ne: null } as never }, { limit: 5 }), /must be a string, number, boolean or null/);
    t.same(await store.collection(name).list({}, { limit: 0 }), [], 'a limit of 0 is no documents, not all');
  });

  t.test('mongodb: ping, and a clear error for a server that is not there', async (t) => {
    await pingMongo(url);
    const store = open();
    t.teardown(() => store.close());
    await store.ping();
    await t.rejects(pingMongo('mongodb://127.0.0.1:9/', 300), /ping of mongodb:\/\/127\.0\.0\.1:9\/ failed/);
  });
} else {
  t.test('mongodb: read-store contract', { skip: 'MONGODB_URL not set: start the engines with eval "$(node dist/cli.js engines up)"' }, () => {});
}
