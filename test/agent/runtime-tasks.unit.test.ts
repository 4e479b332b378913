import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { agentDir, baseConfig, closedPort, startAgent, startFakeBosun } from './harness.js';

t.test('given an echo task, then the agent acknowledges it, runs it and completes it', async (t) => {
  const fake = await startFakeBosun(t);
  startAgent(t, fake, await agentDir(t));
  fake.enqueue({ id: 'echo-1', kind: 'echo', input: { message: 'hello' } });
  t.same(await fake.outcome('echo-1'), { taskId: 'echo-1', outcome: 'complete', body: { outputs: { message: 'hello' } } });
  t.ok(fake.calls.some((call) => call.path === '/tasks/echo-1/ack'));
});

t.test('given tasks that cannot succeed, then each fails with its code and whether a retry could help', async (t) => {
  const fake = await startFakeBosun(t);
  startAgent(t, fake, await agentDir(t));
  fake.enqueue({ id: 'bad-input', kind: 'sleep', input: { seconds: 'long' } });
  fake.enqueue({ id: 'unknown-kind', kind: 'teleport', input: {} });
  fake.enqueue({ id: 'shell-refused', kind: 'shell', input: { command: 'true' } });
  fake.enqueue({ id: 'thrown', kind: 'http.get', input: { url: `http://127.0.0.1:${await closedPort()}/` } });

  t.match((await fake.outcome('bad-input')).body, { error: { code: 'invalid_input', message: 'seconds must be a number from 0 to 3600' }, retryable: false });
  t.match((await fake.outcome('unknown-kind')).body, { error: { code: 'unsupported_kind' }, retryable: false });
  t.match((await fake.outcome('shell-refused')).body, { error: { code: 'shell_not_allowed' }, retryable: false });
  t.match((await fake.outcome('thrown')).body, { error: { code: 'task_error', message: /^fetch failed: connect ECONNREFUSED/ }, retryable: true });
});

t.test('given allow_shell, then a shell task streams its output lines as progress logs before completing', async (t) => {
  const fake = await startFakeBosun(t);
  startAgent(t, fake, await agentDir(t, { ...baseConfig, settings: { allow_shell: true } }));
  fake.enqueue({ id: 'shell-1', kind: 'shell', input: { command: process.execPath, args: ['-e', 'console.log("a\\nb"); console.error("c")'] } });
  t.match((await fake.outcome('shell-1')).body, { outputs: { exit_code: 0, stdout: 'a\nb\n', stderr: 'c\n' } });
  const logs = fake.progressOf('shell-1').flatMap((progress) => progress.logs);
  t.same(
    logs.filter((log) => log.stream === 'stdout'),
    [
      { stream: 'stdout', line: 'a' },
      { stream: 'stdout', line: 'b' },
    ],
  );
  t.same(
    logs.filter((log) => log.stream === 'stderr'),
    [{ stream: 'stderr', line: 'c' }],
  );
});

t.test('given a chatty shell task, then its lines reach Bosun in order, at most 100 per call and 4096 characters per line', async (t) => {
  const fake = await startFakeBosun(t);
  startAgent(t, fake, await agentDir(t, { ...baseConfig, settings: { allow_shell: true } }));
  const script = 'for (let i = 0; i < 250; i++) console.log(i); console.log("x".repeat(5000))';
  fake.enqueue({ id: 'chatty', kind: 'shell', input: { command: process.execPath, args: ['-e', script] } });
  await fake.outcome('chatty');
  const calls = fake.progressOf('chatty').map((progress) => progress.logs as { line: string }[]);
  t.ok(calls.every((logs) => logs.length <= 100));
  const lines = calls.flat().map((log) => log.line);
  t.same(
    lines.slice(0, 250),
    Array.from({ length: 250 }, (_, i) => String(i)),
  );
  t.equal(lines[250]!.length, 4096);
});

t.test('given a config.apply task, then agent-config.json changes and the next heartbeat reports it', async (t) => {
  const fake = await startFakeBosun(t);
  const dir = await agentDir(t);
  startAgent(t, fake, dir);
  const actions = [
    { action: 'install_skill', name: 'git', version: '2.2.0' },
    { action: 'set_setting', name: 'log_level', value: 'debug' },
    { action: 'escalate', reason: 'region cannot change' },
  ];
  fake.enqueue({ id: 'apply-1', kind: 'config.apply', input: { remediation_id: 'r-1', actions } });
  t.same((await fake.outcome('apply-1')).body, { outputs: { applied: 2, escalated: ['region cannot change'] } });
  t.match(JSON.parse(await readFile(join(dir, 'agent-config.json'), 'utf8')), {
    skills: [{ name: 'git', version: '2.2.0' }],
    settings: { log_level: 'debug' },
  });
  await fake.nextHeartbeat((heartbeat) => heartbeat.configuration.skills[0].version === '2.2.0' && heartbeat.configuration.settings.log_level === 'debug');
});

t.test('given the task was requeued or cancelled before the ack (409), then the agent drops it and goes on', async (t) => {
  const fake = await startFakeBosun(t);
  startAgent(t, fake, await agentDir(t));
  fake.enqueue({ id: 'gone', kind: 'echo', input: { message: 'never' } });
  fake.cancelBeforeAck('gone');
  fake.enqueue({ id: 'next', kind: 'echo', input: { message: 'next' } });
  await fake.outcome('next');
  t.equal(fake.stateOf('gone'), 'cancelled');
  t.notOk(fake.outcomes.has('gone'));
  t.same(fake.progressOf('gone'), []);
});

t.test('given max_concurrent_tasks 2, then two tasks run at once and heartbeats list both', async (t) => {
  const fake = await startFakeBosun(t);
  startAgent(t, fake, await agentDir(t, { ...baseConfig, max_concurrent_tasks: 2 }));
  fake.enqueue({ id: 'sleep-1', kind: 'sleep', input: { seconds: 3600 } });
  fake.enqueue({ id: 'sleep-2', kind: 'sleep', input: { seconds: 3600 } });
  const heartbeat = await fake.nextHeartbeat((heartbeat) => heartbeat.running_task_ids.length === 2);
  t.same([...heartbeat.running_task_ids].sort(), ['sleep-1', 'sleep-2']);
  t.equal(heartbeat.metrics.running_tasks, 2);
});
