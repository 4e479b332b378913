import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { runAgentCommand } from '../../agent/command.js';
import { ConfigError } from '../../infra/config.js';
import { agentDir, startFakeBosun } from './harness.js';

const command = fileURLToPath(new URL('./fixtures/agent-command.ts', import.meta.url));

t.test('given `bosun agent --dir` running a task, when the process gets SIGTERM, then it reports its running task failed and exits 0', async (t) => {
  const fake = await startFakeBosun(t);
  const dir = await agentDir(t);
  const env = { ...process.env, BOSUN_URL: fake.url, BOSUN_REGISTRATION_TOKEN: fake.issueToken(), LOG_LEVEL: 'info' };
  // The same TypeScript loader tap runs this file with.
  const agent = spawn(process.execPath, [...process.execArgv, command, '--dir', dir], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void agent.kill('SIGKILL'));
  let stdout = '';
  agent.stdout.on('data', (chunk) => (stdout += chunk));

  fake.enqueue({ id: 'long', kind: 'sleep', input: { seconds: 3600 } });
  await fake.nextHeartbeat((heartbeat) => heartbeat.running_task_ids.includes('long'));
  agent.kill('SIGTERM');
  const [code] = await once(agent, 'exit');

  t.equal(code, 0);
  t.match(fake.outcomes.get('long')?.body, { error: { code: 'agent_stopped' }, retryable: true });
  const lines = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  t.ok(
    lines.some((line) => line.msg === 'stopping' && line.signal === 'SIGTERM'),
    'logs as JSON lines',
  );
});

t.test('given missing or unknown inputs, then `bosun agent` refuses to start, naming the problem', async (t) => {
  const dir = await agentDir(t);
  await t.rejects(runAgentCommand(['--dir', dir], {}), new ConfigError('BOSUN_URL is required: where the agent reaches Bosun'));
  await t.rejects(runAgentCommand([], { BOSUN_URL: 'http://127.0.0.1:1' }), { message: /^--dir or BOSUN_AGENT_DIR is required/ });
  await t.rejects(runAgentCommand(['--verbose'], { BOSUN_URL: 'http://127.0.0.1:1', BOSUN_AGENT_DIR: dir }), { message: /takes only --dir <path>/ });
});
