import pino from 'pino';
import t from 'tap';
import { decodeKey, encodeKey, openMongoReadStore, WriteBudget } from '../../infra/mongo-read-store.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('the write budget never lets more operations in flight than its capacity', async (t) => {
  const budget = new WriteBudget(32);
  let inFlight = 0;
  let most = 0;
  const work = (count: number) =>
    budget.run(count, async () => {
      inFlight += count;
      most = Math.max(most, inFlight);
      for (let i = 0; i < 3; i++) await tick();
      inFlight -= count;
      return count;
    });
  const sizes = Array.from({ length: 60 }, (_, i) => [8, 1, 32, 5][i % 4] as number);
  t.same(await Promise.all(sizes.map(work)), sizes);
  t.equal(most, 32, 'filled up to the capacity, never past it');
  t.equal(inFlight, 0);
});

t.test('the write budget grants in arrival order, so a large batch is not starved by small ones', async (t) => {
  const budget = new WriteBudget(10);
  const order: string[] = [];
  let release!: () => void;
  const held = budget.run(6, () => new Promise<void>((resolve) => (release = resolve)));
  const large = budget.run(8, async () => void order.push('large'));
  const small = budget.run(1, async () => void order.push('small'));
  await tick();
  t.same(order, [], 'the small one waits behind the large one although it would fit');
  release();
  await Promise.all([held, large, small]);
  t.same(order, ['large', 'small']);
});

t.test('the write budget releases its permits when the work fails', async (t) => {
  const budget = new WriteBudget(4);
  await t.rejects(
    budget.run(4, async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  t.equal(await budget.run(4, async () => 'after'), 'after');
});

t.test('limits are checked when the store is opened', async (t) => {
  const logger = pino({ level: 'silent' });
  const url = 'mongodb://127.0.0.1:9/';
  t.throws(() => openMongoReadStore({ url, logger, batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  t.throws(() => openMongoReadStore({ url, logger, batchSize: 64 }), /batchSize \(64\) must not exceed maxWritesInFlight \(32\)/);
  const store = openMongoReadStore({ url, logger, batchSize: 1000, writeConcurrency: 4, maxWritesInFlight: 4000 });
  await store.close();
});

t.test('keys FerretDB refuses are percent-encoded, reversibly; others are left alone', async (t) => {
  const cases: [string, string][] = [
    ['status', 'status'],
    ['a.b', 'a%2Eb'],
    ['$ref', '%24ref'],
    ['a$b', 'a$b'],
    ['100%', '100%25'],
    ['%2E', '%252E'],
    ['%24x', '%2524x'],
    ['.$.', '%2E$%2E'],
    ['', ''],
  ];
  for (const [key, stored] of cases) {
    t.equal(encodeKey(key), stored, `${JSON.stringify(key)} is stored as ${JSON.stringify(stored)}`);
    t.equal(decodeKey(stored), key, `and read back as ${JSON.stringify(key)}`);
  }
});
