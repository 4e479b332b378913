import pino from 'pino';
import t, { type Test } from 'tap';
import { BosunApiError, BosunClient } from '../../agent/client.js';
import { retryAfterMs } from '../../agent/retry.js';
import { closedPort, quickRetry, silentLogger, startFakeBosun } from './harness.js';

/** A client registered with a fake Bosun, holding the running task `task-1`. */
const enrolledClient = async (t: Test) => {
  const fake = await startFakeBosun(t);
  const client = new BosunClient(`${fake.url}/`, silentLogger, quickRetry);
  const { credential } = await client.register(fake.issueToken(), 'box-1');
  client.useCredential(credential);
  fake.enqueue({ id: 'task-1', kind: 'echo', input: {} });
  await client.claim(0);
  await client.ack('task-1');
  return { fake, client };
};

t.test('given Bosun answers 503 once, when the agent completes a task, then it retries with the same Idempotency-Key', async (t) => {
  const { fake, client } = await enrolledClient(t);
  fake.inject('/complete', 503);
  await client.complete('task-1', { message: 'hi' });
  const tries = fake.calls.filter((call) => call.path === '/tasks/task-1/complete');
  t.equal(tries.length, 2);
  t.ok(tries[0]!.idempotencyKey);
  t.equal(tries[1]!.idempotencyKey, tries[0]!.idempotencyKey);
  t.same(fake.outcomes.get('task-1')?.body, { outputs: { message: 'hi' } });
});

t.test('given Bosun answers 429 with Retry-After, when the agent reports progress, then it waits and retries', async (t) => {
  const { fake, client } = await enrolledClient(t);
  fake.inject('/progress', 429, { 'retry-after': '0' });
  t.equal(await client.progress('task-1', { percent: 10 }), false);
  t.equal(fake.progressOf('task-1').length, 2);
});

t.test('given separate calls, then each carries its own Idempotency-Key', async (t) => {
  const { fake, client } = await enrolledClient(t);
  await client.progress('task-1', { percent: 10 });
  await client.progress('task-1', { percent: 20 });
  const keys = fake.calls.filter((call) => call.path.endsWith('/progress')).map((call) => call.idempotencyKey);
  t.equal(new Set(keys).size, 2);
});

t.test('given a 4xx answer, then it is not retried and surfaces as a typed error', async (t) => {
  const { fake, client } = await enrolledClient(t);
  await client.complete('task-1', {});
  const error = await client.fail('task-1', { code: 'late', message: 'too late' }, true).catch((error: unknown) => error);
  t.type(error, BosunApiError);
  t.match(error, { status: 409, code: 'task_not_running' });
  t.equal(fake.calls.filter((call) => call.path.endsWith('/fail')).length, 1);
});

t.test('given nothing listens, when the agent registers, then it retries the connection, then gives up with the cause', async (t) => {
  const port = await closedPort();
  const warnings: any[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
  const client = new BosunClient(`http://127.0.0.1:${port}`, logger, quickRetry);
  await t.rejects(client.register('bsr_x', 'box-1'), TypeError);
  t.equal(warnings.filter((line) => line.msg === 'Bosun unreachable; retrying').length, quickRetry.attempts - 1);
  t.match(warnings[0], { path: '/register', attempt: 1, err: { message: 'fetch failed' } });
});

t.test('Retry-After is read as seconds or as an HTTP date, and bounded', async (t) => {
  const now = Date.UTC(2026, 0, 1);
  t.equal(retryAfterMs('2', now), 2000);
  t.equal(retryAfterMs(new Date(now + 3000).toUTCString(), now), 3000);
  t.equal(retryAfterMs('3600', now), 60_000);
  t.equal(retryAfterMs('soon', now), null);
  t.equal(retryAfterMs(null, now), null);
});
