import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { runAgent } from '../../agent/runtime.js';
import { agentDir, baseConfig, quickRetry, silentLogger, startAgent, startFakeBosun } from './harness.js';

t.test('given a fresh directory, when the agent starts twice, then it registers once and reuses the stored credential', async (t) => {
  const fake = await startFakeBosun(t);
  const dir = await agentDir(t);
  const first = startAgent(t, fake, dir);
  await fake.nextHeartbeat();
  await first.stop();

  const credential = await readFile(join(dir, 'credential'), 'utf8');
  t.match(credential, /^bsi_/);
  t.equal((await stat(join(dir, 'credential'))).mode & 0o777, 0o600, 'only the agent may read it');
  t.match(fake.registrations[0]!.body, { agent_version: '0.1.0', hostname: String });

  // A used token would answer 401: a second registration would make the restart fail.
  const second = startAgent(t, fake, dir, 'bsr_already_used');
  await fake.nextHeartbeat();
  await second.stop();
  t.equal(fake.registrations.length, 1);
  t.equal(await readFile(join(dir, 'credential'), 'utf8'), credential);
});

t.test('given no stored credential and no token, then the agent does not start', async (t) => {
  const fake = await startFakeBosun(t);
  const dir = await agentDir(t);
  await t.rejects(runAgent({ url: fake.url, dir, logger: silentLogger, retry: quickRetry }), {
    message: /no credential in .*credential and no registration token/,
  });
});

t.test('given a token already used, then registration is refused and the agent does not start', async (t) => {
  const fake = await startFakeBosun(t);
  await t.rejects(startAgent(t, fake, await agentDir(t), 'bsr_unknown').done, { name: 'BosunApiError', status: 401 });
});

t.test('while the agent runs, its pid file names this process; after it stops, the file is gone', async (t) => {
  const fake = await startFakeBosun(t);
  const dir = await agentDir(t);
  const agent = startAgent(t, fake, dir);
  await fake.nextHeartbeat();
  t.equal(await readFile(join(dir, 'agent.pid'), 'utf8'), `${process.pid}\n`);
  await agent.stop();
  await t.rejects(stat(join(dir, 'agent.pid')), { code: 'ENOENT' });
});

t.test('given another live agent holds the directory, then a second one refuses to start', async (t) => {
  const fake = await startFakeBosun(t);
  const dir = await agentDir(t);
  await writeFile(join(dir, 'agent.pid'), `${process.ppid}\n`);
  await t.rejects(startAgent(t, fake, dir).done, { message: `another agent (pid ${process.ppid}) runs in ${dir}` });
});

t.test("each heartbeat carries the configuration file as it is now, so an edit behind the agent's back shows", async (t) => {
  const fake = await startFakeBosun(t);
  const dir = await agentDir(t);
  startAgent(t, fake, dir);
  const first = await fake.nextHeartbeat();
  t.match(first, {
    metrics: { cpu_percent: Number, memory_mb: Number, running_tasks: 0 },
    configuration: {
      provider: 'local',
      runtime_version: '1.0.0',
      skills: baseConfig.skills,
      settings: baseConfig.settings,
      resources: { open_ports: [], region: null },
    },
    running_task_ids: [],
  });

  await writeFile(join(dir, 'agent-config.json'), JSON.stringify({ ...baseConfig, settings: { ...baseConfig.settings, log_level: 'debug' } }));
  const edited = await fake.nextHeartbeat((heartbeat) => heartbeat.configuration.settings.log_level === 'debug');
  t.same(edited.configuration.skills, baseConfig.skills);
});

t.test('given Bosun revokes the credential, then the agent stops with the 401', async (t) => {
  const fake = await startFakeBosun(t);
  const agent = startAgent(t, fake, await agentDir(t));
  await fake.nextHeartbeat();
  fake.revokeAll();
  await t.rejects(agent.done, { name: 'BosunApiError', status: 401 });
});
