/**
 * The engines `bosun engines up` starts, used as Bosun's adapters will use them: a keyed
 * message with headers through Kafka in a consumer group, and inserts, an upsert and
 * finds through the MongoDB driver against FerretDB. Each part skips unless its variable
 * is set; `eval "$(node dist/cli.js engines up)"` sets both (.ci/run does).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import t from 'tap';
import { enginesSettings, enginesStatus } from '../../infra/engines/engines.js';

t.setTimeout(180_000);

const START = 'eval "$(node dist/cli.js engines up)"';
const brokers =
  process.env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean) ?? [];
const mongodbUrl = process.env.MONGODB_URL;

t.test(
  'kafka: a keyed message with headers, produced and consumed in a consumer group',
  { skip: brokers.length === 0 && `KAFKA_BROKERS is not set; start the engines with ${START}` },
  async (t) => {
    const run = randomUUID().slice(0, 8);
    const topic = `bosun-engines-test-${run}`;
    const kafka = new Kafka({ clientId: `bosun-engines-test-${run}`, brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    t.teardown(async () => {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    });
    t.ok(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }), 'topic created');

    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    t.teardown(() => producer.disconnect());
    const sent = await producer.send({
      topic,
      acks: -1,
      messages: [{ key: 'task-42', value: JSON.stringify({ type: 'task.submitted', n: 1 }), headers: { 'event-type': 'task.submitted', 'event-id': run } }],
    });
    t.equal(sent.length, 1);
    t.equal(sent[0]?.errorCode, 0, 'acknowledged by the broker');

    const consumer = kafka.consumer({ groupId: `bosun-engines-test-${run}`, maxWaitTimeInMs: 100 });
    await consumer.connect();
    t.teardown(() => consumer.disconnect());
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received = await new Promise<{ key: string; value: string; headers: Record<string, string>; partition: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 60 s')), 60_000);
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            clearTimeout(timer);
            resolve({
              key: message.key?.toString() ?? '',
              value: message.value?.toString() ?? '',
              headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? ''])),
              partition,
            });
          },
        })
        .catch(reject);
    });
    t.equal(received.key, 'task-42', 'the key');
    t.same(JSON.parse(received.value), { type: 'task.submitted', n: 1 }, 'the value');
    t.same(received.headers, { 'event-type': 'task.submitted', 'event-id': run }, 'the headers');
    t.equal(received.partition, sent[0]?.partition, 'read from the partition the key was written to');
    await consumer.stop();

    // the group's position is committed: a consumer of the same group starts past the message
    const offsets = await admin.fetchOffsets({ groupId: `bosun-engines-test-${run}`, topics: [topic] });
    const committed = offsets[0]?.partitions.find((p) => p.partition === received.partition)?.offset;
    t.equal(committed, '1', 'the consumer group committed its offset');
  },
);

t.test('mongodb: insert, upsert and find', { skip: !mongodbUrl && `MONGODB_URL is not set; start the engines with ${START}` }, async (t) => {
  const client = new MongoClient(mongodbUrl as string, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
  const db = client.db(`bosun_engines_test_${randomUUID().slice(0, 8)}`);
  t.teardown(async () => {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  });
  t.same(await client.db('admin').command({ ping: 1 }), { ok: 1 }, 'ping');
  const tasks = db.collection<{ _id: string; status: string; attempts: number; tags?: string[] }>('tasks');

  const inserted = await tasks.insertMany([
    { _id: 'task-1', status: 'queued', attempts: 0 },
    { _id: 'task-2', status: 'running', attempts: 1, tags: ['gpu'] },
  ]);
  t.equal(inserted.insertedCount, 2, 'inserted');
  await t.rejects(tasks.insertOne({ _id: 'task-1', status: 'queued', attempts: 0 }), { code: 11000 }, 'a duplicate _id is refused');

  const created = await tasks.updateOne({ _id: 'task-3' }, { $set: { status: 'queued' }, $setOnInsert: { attempts: 0 } }, { upsert: true });
  t.equal(created.upsertedId, 'task-3', 'an upsert of a missing document inserts it');
  const updated = await tasks.updateOne({ _id: 'task-1' }, { $set: { status: 'running' }, $inc: { attempts: 1 } }, { upsert: true });
  t.same([updated.matchedCount, updated.modifiedCount, updated.upsertedCount], [1, 1, 0], 'an upsert of an existing document updates it');

  t.same(await tasks.findOne({ _id: 'task-1' }), { _id: 'task-1', status: 'running', attempts: 1 });
  const running = await tasks.find({ status: 'running' }).sort({ _id: 1 }).toArray();
  t.same(
    running.map((task) => task._id),
    ['task-1', 'task-2'],
    'find by a field, sorted',
  );
  t.same(await tasks.find({ tags: 'gpu' }).project({ _id: 1 }).toArray(), [{ _id: 'task-2' }], 'find by an array element');
  t.equal(await tasks.countDocuments({}), 3);
});

t.test(
  'bosun engines up, with the engines running: prints only the two lines, at once',
  { skip: (brokers.length === 0 || !mongodbUrl) && `KAFKA_BROKERS or MONGODB_URL is not set; start the engines with ${START}` },
  async (t) => {
    const statuses = await enginesStatus(enginesSettings(process.env));
    const running = Object.fromEntries(statuses.map((status) => [status.engine, status.running?.address]));
    if (running.kafka !== brokers[0] || `mongodb://${running.ferretdb}/` !== mongodbUrl) {
      t.pass('not checked', { skip: `KAFKA_BROKERS and MONGODB_URL name other servers than the engines of ${enginesSettings(process.env).runDir}` });
      return;
    }
    const root = join(import.meta.dirname, '..', '..');
    const started = Date.now();
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(
        'node',
        [join(root, 'dist', 'cli.js'), 'engines', 'up'],
        { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn' }, timeout: 60_000 },
        (error, stdout) => (error ? reject(error) : resolve({ stdout })),
      ),
    );
    t.equal(stdout, `KAFKA_BROKERS=${brokers[0]}\nMONGODB_URL=${mongodbUrl}\n`, 'stdout is the two assignments only');
    t.ok(Date.now() - started < 30_000, `answered in ${Date.now() - started} ms`);
  },
);
