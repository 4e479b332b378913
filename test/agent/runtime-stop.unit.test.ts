import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { agentDir, baseConfig, startAgent, startFakeBosun } from './harness.js';

/** One task at a time, so once `next` completes the agent has finished with whatever ran before it. */
const runsNext = async (fake: Awaited<ReturnType<typeof startFakeBosun>>) => {
  fake.enqueue({ id: 'next', kind: 'echo', input: { message: 'next' } });
  await fake.outcome('next');
};

t.test('given a sleeping task, when a heartbeat lists it in cancel_task_ids, then the agent stops it and reports nothing more', async (t) => {
  const fake = await startFakeBosun(t);
  startAgent(t, fake, await agentDir(t));
  fake.enqueue({ id: 'sleepy', kind: 'sleep', input: { seconds: 3600 } });
  await fake.nextHeartbeat((heartbeat) => heartbeat.running_task_ids.includes('sleepy'));
  fake.cancel('sleepy');
  await fake.nextHeartbeat((heartbeat) => !heartbeat.running_task_ids.includes('sleepy'));
  await runsNext(fake);
  t.notOk(fake.outcomes.has('sleepy'));
  t.same(fake.progressOf('sleepy'), []);
});

t.test('given a shell task streaming output, when progress answers cancel_requested, then the agent stops it and reports nothing more', async (t) => {
  const fake = await startFakeBosun(t);
  startAgent(t, fake, await agentDir(t, { ...baseConfig, settings: { allow_shell: true } }));
  const ticker = 'setInterval(() => console.log("tick"), 20)';
  fake.enqueue({ id: 'ticker', kind: 'shell', input: { command: process.execPath, args: ['-e', ticker] } });
  await fake.waitFor(() => fake.progressOf('ticker').length > 0, 'progress from the ticker');
  fake.requestCancel('ticker');
  await runsNext(fake);
  t.notOk(fake.outcomes.has('ticker'));
  t.equal(fake.stateOf('ticker'), 'running', 'Bosun, not the agent, records the cancellation');
});

t.test('given a running task, when the agent is told to stop, then it stops claiming, fails the task as retryable and returns', async (t) => {
  const fake = await startFakeBosun(t);
  const dir = await agentDir(t);
  const agent = startAgent(t, fake, dir);
  fake.enqueue({ id: 'long', kind: 'sleep', input: { seconds: 3600 } });
  await fake.nextHeartbeat((heartbeat) => heartbeat.running_task_ids.includes('long'));
  await agent.stop();

  t.same(fake.outcomes.get('long')?.body, { error: { code: 'agent_stopped', message: 'the agent stopped before the task finished' }, retryable: true });
  await t.rejects(stat(join(dir, 'agent.pid')), { code: 'ENOENT' });
  fake.enqueue({ id: 'after-stop', kind: 'echo', input: { message: 'nobody claims this' } });
  t.equal(fake.stateOf('after-stop'), 'queued');
});
