import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { BosunApiError } from '../../agent/client.js';
import { runTaskKind, type TaskContext } from '../../agent/task-kinds.js';
import { agentDir, baseConfig, closedPort } from './harness.js';

const context = (dir: string, overrides: Partial<TaskContext> = {}) => {
  const logs: { stream: string; line: string }[] = [];
  const value: TaskContext = {
    signal: new AbortController().signal,
    timeoutSeconds: null,
    dir,
    log: (stream, line) => void logs.push({ stream, line }),
    desiredSetting: async (name) => {
      if (name === 'api_token') return 'from-bosun';
      throw new BosunApiError('GET', `/settings/${name}`, 404, 'resource_missing', `no desired setting with id ${name}`, null);
    },
    ...overrides,
  };
  return { context: value, logs };
};

const shellDir = (t: Test, allowShell: boolean) => agentDir(t, { ...baseConfig, settings: { allow_shell: allowShell } });

t.test('echo answers its message', async (t) => {
  const { context: c } = context(await agentDir(t));
  t.same(await runTaskKind('echo', { message: 'hi' }, c), { message: 'hi' });
  await t.rejects(runTaskKind('echo', { message: 42 }, c), { code: 'invalid_input', retryable: false, message: 'message must be a string' });
  await t.rejects(runTaskKind('echo', 'hi', c), { code: 'invalid_input', message: 'input must be a JSON object' });
});

t.test('an unknown kind is unsupported, not retryable', async (t) => {
  const { context: c } = context(await agentDir(t));
  await t.rejects(runTaskKind('teleport', {}, c), { code: 'unsupported_kind', retryable: false });
  await t.rejects(runTaskKind('toString', {}, c), { code: 'unsupported_kind' });
});

t.test('sleep sleeps the seconds asked, from 0 to 3600, and stops when aborted', async (t) => {
  const controller = new AbortController();
  const { context: c } = context(await agentDir(t), { signal: controller.signal });
  t.same(await runTaskKind('sleep', { seconds: 0 }, c), { slept_seconds: 0 });
  for (const seconds of [-1, 3601, '1', Number.NaN]) await t.rejects(runTaskKind('sleep', { seconds }, c), { code: 'invalid_input' });
  const sleeping = runTaskKind('sleep', { seconds: 3600 }, c);
  controller.abort('cancelled');
  await t.rejects(sleeping, { name: 'AbortError' });
});

t.test('http.get answers status, headers and body, the body capped at 1 MiB', async (t) => {
  const server = createServer((request, response) => {
    if (request.url === '/big') return void response.end('x'.repeat(2 ** 20 + 10));
    response.writeHead(418, { 'x-kind': 'teapot' }).end('short and stout');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => void server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { context: c } = context(await agentDir(t));

  t.match(await runTaskKind('http.get', { url: `${base}/tea` }, c), {
    status: 418,
    headers: { 'x-kind': 'teapot' },
    body: 'short and stout',
    truncated: false,
  });
  const big = await runTaskKind('http.get', { url: `${base}/big` }, c);
  t.equal((big.body as string).length, 2 ** 20);
  t.equal(big.truncated, true);
});

t.test('http.get refuses what is not an http or https URL, and fails with the cause when the server cannot be reached', async (t) => {
  const { context: c } = context(await agentDir(t));
  await t.rejects(runTaskKind('http.get', { url: 'file:///etc/passwd' }, c), { code: 'invalid_input', message: 'url must be http or https' });
  await t.rejects(runTaskKind('http.get', { url: 'not a url' }, c), { code: 'invalid_input' });
  await t.rejects(runTaskKind('http.get', { url: `http://127.0.0.1:${await closedPort()}/` }, c), { message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
});

t.test('given allow_shell is true, when shell runs a command, then it answers the exit code and output and streams the lines', async (t) => {
  const { context: c, logs } = context(await shellDir(t, true));
  const outputs = await runTaskKind(
    'shell',
    { command: process.execPath, args: ['-e', 'console.log("one\\ntwo"); console.error("oops"); process.exit(3)'] },
    c,
  );
  t.same(outputs, { exit_code: 3, stdout: 'one\ntwo\n', stderr: 'oops\n' });
  t.same(logs, [
    { stream: 'stdout', line: 'one' },
    { stream: 'stdout', line: 'two' },
    { stream: 'stderr', line: 'oops' },
  ]);
});

t.test('given allow_shell is true, shell arguments reach the command as they are, with no shell in between', async (t) => {
  const { context: c } = context(await shellDir(t, true));
  const outputs = await runTaskKind('shell', { command: process.execPath, args: ['-e', 'console.log(process.argv[1])', '$HOME; rm -rf /'] }, c);
  t.equal(outputs.stdout, '$HOME; rm -rf /\n');
});

t.test('given allow_shell is not true, then shell is refused for good', async (t) => {
  for (const dir of [await shellDir(t, false), await agentDir(t, null)]) {
    await t.rejects(runTaskKind('shell', { command: 'true' }, context(dir).context), { code: 'shell_not_allowed', retryable: false });
  }
});

t.test('shell refuses bad input, and fails with the cause when the command cannot start', async (t) => {
  const { context: c } = context(await shellDir(t, true));
  await t.rejects(runTaskKind('shell', { command: 'ls', args: '-la' }, c), { code: 'invalid_input', message: 'args must be an array of strings' });
  await t.rejects(runTaskKind('shell', { args: [] }, c), { code: 'invalid_input', message: 'command must be a string' });
  await t.rejects(runTaskKind('shell', { command: 'no-such-command-here' }, c), { message: /^cannot run "no-such-command-here"/ });
});

const forever = { command: process.execPath, args: ['-e', 'console.log(process.pid); setInterval(() => {}, 1000)'] };

t.test('when a shell task is aborted, then its process is stopped', async (t) => {
  const controller = new AbortController();
  let started: (pid: number) => void;
  const pid = new Promise<number>((resolve) => (started = resolve));
  const { context: c } = context(await shellDir(t, true), { signal: controller.signal, log: (_stream, line) => started(Number(line)) });
  const running = runTaskKind('shell', forever, c);
  const childPid = await pid;
  controller.abort('cancelled');
  await t.rejects(running);
  t.throws(() => process.kill(childPid, 0), { code: 'ESRCH' }, 'the process is gone');
});

t.test('when a shell task outlives its timeout, then it is stopped and fails', async (t) => {
  const { context: c } = context(await shellDir(t, true), { timeoutSeconds: 0.2 });
  await t.rejects(runTaskKind('shell', forever, c), { message: /ran longer than 0.2 s and was stopped/ });
});

t.test('config.apply takes the values of settings named without one from Bosun: the task never holds a secret', async (t) => {
  const dir = await agentDir(t);
  const input = {
    remediation_id: 'd-1',
    actions: [
      { action: 'set_setting', name: 'api_token' },
      { action: 'set_setting', name: 'log_level', value: 'debug' },
    ],
  };
  t.same(await runTaskKind('config.apply', input, context(dir).context), { applied: 2, escalated: [] });
  t.match(JSON.parse(await readFile(join(dir, 'agent-config.json'), 'utf8')), { settings: { api_token: 'from-bosun', log_level: 'debug' } });
  await t.rejects(runTaskKind('config.apply', { remediation_id: 'd-1', actions: [{ action: 'set_setting', name: 'gone' }] }, context(dir).context), {
    code: 'invalid_input',
    retryable: false,
    message: 'the desired spec has no setting "gone"',
  });
});
