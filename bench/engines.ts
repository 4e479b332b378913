/**
 * Kafka and MongoDB for a benchmark's Bosun, when KAFKA_BROKERS and MONGODB_URL are set:
 * in a topic prefix and a database of the run's own, since read models left by an earlier
 * run belong to another log (Bosun refuses them).
 */
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { withDatabase } from '../infra/mongo-read-store.js';

export type IsolatedEngines = {
  /** Variables for the server: empty ones select the embedded default. */
  readonly env: NodeJS.ProcessEnv;
  /** Drops the run's database. */
  readonly drop: () => Promise<void>;
};

export const isolatedEngines = (wanted: { readonly kafka: boolean; readonly mongo: boolean } = { kafka: true, mongo: true }): IsolatedEngines => {
  const run = randomUUID().replaceAll('-', '').slice(0, 10);
  const database = `bench_${run}`;
  const mongoUrl = wanted.mongo && process.env.MONGODB_URL ? withDatabase(process.env.MONGODB_URL, database) : '';
  return {
    env: { KAFKA_BROKERS: wanted.kafka ? (process.env.KAFKA_BROKERS ?? '') : '', KAFKA_TOPIC_PREFIX: `bench.${run}.`, MONGODB_URL: mongoUrl },
    drop: async () => {
      if (!mongoUrl) return;
      const client = new MongoClient(mongoUrl);
      await client
        .db(database)
        .dropDatabase()
        .finally(() => client.close());
    },
  };
};
