import { randomUUID } from 'node:crypto';
import { MongoClient, type Collection } from 'mongodb';
import pino from 'pino';
import t from 'tap';
import { databaseFromUrl, openMongoReadStore, pingMongo, redactUrl, withDatabase } from '../../infra/mongo-read-store.js';
import type { ReadDocument } from '../../projections/read-store.js';
import { readStoreContract } from '../projections/read-store.contract.js';

const url = process.env.MONGODB_URL;

/** Index names (the driver names them by their fields, in order), sorted: FerretDB lists them by name. */
const indexNames = async (collection: Collection) => (await collection.indexes()).map((index) => index.name).sort();

t.test('connection strings: database from the path, credentials redacted', async (t) => {
  t.equal(databaseFromUrl('mongodb://127.0.0.1:27017/analytics?replicaSet=rs0'), 'analytics');
  t.equal(databaseFromUrl('mongodb://h1:27017,h2:27017/bosun_eu'), 'bosun_eu');
  t.equal(databaseFromUrl('mongodb://127.0.0.1:27017/'), undefined);
  t.equal(databaseFromUrl('mongodb://127.0.0.1:27017'), undefined);
  t.equal(databaseFromUrl('mongodb+srv://u:p@cluster.example.net/?retryWrites=true'), undefined);
  t.equal(redactUrl('mongodb://user:secret@127.0.0.1:27017/bosun'), 'mongodb://***@127.0.0.1:27017/bosun');
  t.equal(redactUrl('mongodb://127.0.0.1:27017/bosun'), 'mongodb://127.0.0.1:27017/bosun');
  t.equal(withDatabase('mongodb://u:p@h1:27017,h2:27017/bosun?replicaSet=rs0', 'scratch'), 'mongodb://u:p@h1:27017,h2:27017/scratch?replicaSet=rs0');
  t.equal(withDatabase('mongodb://127.0.0.1:27018', 'scratch'), 'mongodb://127.0.0.1:27018/scratch');
  t.equal(withDatabase('mongodb+srv://cluster.example.net/?retryWrites=true', 'a b'), 'mongodb+srv://cluster.example.net/a%20b?retryWrites=true');
  t.throws(() => withDatabase('http://u:secret@x/', 'a'), /not a mongodb:\/\/ connection string: http:\/\/\*\*\*@x\//, 'named, its credentials redacted');
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
    t.same(
      await indexNames(db.collection(name)),
      ['_id_', 'tenant_1_seq_-1', 'tenant_1_status_1_seq_-1'],
      'prepare twice made each index once, fields in order',
    );
    t.same(await db.collection<{ _id: string }>('_checkpoints').findOne({ _id: 'projector' }), {
      _id: 'projector',
      position: 3,
      lanes: [{ lane: 'bosun.task/0', offset: 3 }],
    });
    t.same(
      await store.collection(name).list({ id: 't-1' }, { limit: 5 }),
      [{ id: 't-1', tenant: 'team-a', seq: 3, revision: 0, status: 'queued' }],
      'a filter on id',
    );
    await t.rejects(
      store.collection(name).list({ tenant: { $ne: null } as never }, { limit: 5 }),
      /unknown operator/,
      'a value that is an object is read as an operator, and only known ones are',
    );
    t.same(await store.collection(name).list({}, { limit: 0 }), [], 'a limit of 0 is no documents, not all');
  });

  type Kinded = ReadDocument & { readonly kind: string };

  t.test('mongodb: user JSON with keys that have dots or start with $ is stored and read back as it was', async (t) => {
    const store = open();
    t.teardown(() => store.close());
    const name = `tasks_${randomUUID().slice(0, 8)}`;
    await store.prepare([{ name, indexes: [] }]);
    const doc = { id: 'k1', tenant: 't1', seq: 1, revision: 0, input: { 'a.b': 1, $ref: '#/x', '100%': [{ 'v1.2': null }], plain: { ok: true } } };
    await store.collection<typeof doc>(name).put(doc);
    t.same(await store.collection(name).get('k1'), doc);
    const client = new MongoClient(url);
    t.teardown(() => client.close());
    t.same(
      await client.db(database).collection<{ _id: string }>(name).findOne({ _id: 'k1' }),
      { _id: 'k1', tenant: 't1', seq: 1, revision: 0, input: { 'a%2Eb': 1, '%24ref': '#/x', '100%25': [{ 'v1%2E2': null }], plain: { ok: true } } },
      'stored percent-encoded; ordinary keys as they are',
    );
  });

  t.test('mongodb: replace under concurrent reads: never a mix; on FerretDB a moment with nothing', async (t) => {
    const client = new MongoClient(url);
    t.teardown(() => client.close());
    // FerretDB 1.24 has no renameCollection dropTarget, so the store replaces in two renames.
    const ferret = Boolean((await client.db('admin').command({ buildInfo: 1 })).ferretdbVersion);
    const store = open();
    t.teardown(() => store.close());
    const suffix = randomUUID().slice(0, 8);
    const live = `live_${suffix}`;
    const scratch = `scratch_${suffix}`;
    await store.prepare([
      { name: live, indexes: [] },
      { name: scratch, indexes: [['tenant', 'kind']] },
    ]);
    const docs = (prefix: string): Kinded[] =>
      Array.from({ length: 20 }, (_, i) => ({ id: `${prefix}${i}`, tenant: 't1', seq: i + 1, revision: 0, kind: prefix }));
    await store.commit(
      docs('old').map((doc) => ({ collection: live, doc })),
      {},
    );
    await store.commit(
      docs('new').map((doc) => ({ collection: scratch, doc })),
      {},
    );

    const seen = { old: 0, new: 0, empty: 0, mixed: 0 };
    let replaced = false;
    const reader = (async () => {
      while (!replaced) {
        const kinds = new Set((await store.collection<Kinded>(live).list({ tenant: 't1' }, { limit: 50 })).map((doc) => doc.kind));
        if (kinds.size === 0) seen.empty++;
        else if (kinds.size > 1) seen.mixed++;
        else seen[kinds.has('old') ? 'old' : 'new']++;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await store.replace(live, scratch);
    replaced = true;
    await reader;
    t.comment(`reads during the replace: ${JSON.stringify(seen)} (${ferret ? 'FerretDB: two renames' : 'MongoDB: one rename'})`);
    t.equal(seen.mixed, 0, 'no read saw old and new documents together');
    if (!ferret) t.equal(seen.empty, 0, 'on MongoDB no read saw the collection empty');
    t.equal(await store.collection<Kinded>(live).count({ kind: 'new' }), 20);
    const db = client.db(database);
    t.same(await indexNames(db.collection(live)), ['_id_', 'tenant_1_kind_1_seq_-1', 'tenant_1_seq_-1'], 'the source brought its indexes');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    t.same(
      names.filter((name) => name.startsWith(live) || name === scratch),
      [live],
      'no old collection left aside, no source',
    );
  });

  t.test('mongodb: concurrent commits and puts of several projectors stay within the write budget', async (t) => {
    // Unbounded, these would put 6 x 32 + 40 writes in flight: FerretDB 1.24 hangs for good past ~50.
    const store = open();
    t.teardown(() => store.close());
    const names = Array.from({ length: 6 }, (_, i) => `busy${i}_${randomUUID().slice(0, 8)}`);
    await store.prepare(names.map((name) => ({ name, indexes: [] })));
    const doc = (i: number) => ({ id: `d${i}`, tenant: 't1', seq: i + 1, revision: 0 });
    const puts = store.collection(names[0] as string);
    await Promise.all([
      ...names.map((name) =>
        store.commit(
          Array.from({ length: 160 }, (_, i) => ({ collection: name, doc: doc(i) })),
          { [name]: { position: 160, lanes: { log: 160 } } },
        ),
      ),
      ...Array.from({ length: 40 }, (_, i) => puts.put(doc(1000 + i))),
    ]);
    t.same(await Promise.all(names.map((name) => store.collection(name).count({}))), [200, 160, 160, 160, 160, 160]);
    t.same(await store.checkpoint(names[5] as string), { position: 160, lanes: { log: 160 } });
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
