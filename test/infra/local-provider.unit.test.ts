import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import t, { type Test } from 'tap';
import { createLocalProvider, LocalProviderError, type LocalProviderOptions } from '../../infra/providers/local-provider.js';
import type { InstanceProvider } from '../../workflows/instance-provider.js';
import { contractSpec, instanceProviderContract, newInstanceId, provisionRequest, type ProviderFixture } from '../workflows/instance-provider.contract.js';

const logger = pino({ level: 'silent' });
const fakeAgent = join(import.meta.dirname, 'fixtures', 'fake-agent.mjs');

/** Pids of processes started with `--dir <d>` for a `d` that `matches`: agents, found through /proc rather than the provider. */
const agentPids = async (matches: (dir: string) => boolean): Promise<number[]> => {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const found = await Promise.all(
    pids.map(async (pid) => {
      const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
      const dir = args[args.indexOf('--dir') + 1];
      return args.includes('--dir') && dir !== undefined && matches(dir) ? [Number(pid)] : [];
    }),
  );
  return found.flat();
};

type LocalFixture = ProviderFixture & { readonly dataDir: string; readonly instanceDir: (instanceId: string) => string };

const makeLocal = async (options: Partial<LocalProviderOptions> = {}): Promise<LocalFixture> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-local-provider-'));
  const instanceDir = (instanceId: string) => join(dataDir, 'instances', instanceId);
  const providers: InstanceProvider[] = [];
  const open = () => {
    const provider = createLocalProvider({ dataDir, logger, agentCommand: [process.execPath, fakeAgent], env: { PATH: process.env.PATH }, ...options });
    providers.push(provider);
    return provider;
  };
  return {
    dataDir,
    instanceDir,
    provider: open(),
    reopen: async () => open(),
    readAgentConfig: async (instanceId) => JSON.parse(await readFile(join(instanceDir(instanceId), 'agent-config.json'), 'utf8')),
    writeAgentConfig: (instanceId, config) => writeFile(join(instanceDir(instanceId), 'agent-config.json'), JSON.stringify(config)),
    agentProcesses: async (instanceId) => (await agentPids((dir) => dir === instanceDir(instanceId))).length,
    cleanup: async () => {
      await Promise.allSettled(providers.map((provider) => provider.close({ stopAgents: true })));
      // Whatever the providers missed: no test leaves an agent behind.
      for (const pid of await agentPids((dir) => dir.startsWith(`${dataDir}/`))) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

/** A fixture torn down with the test `t`. */
const freshLocal = async (t: Test, options?: Partial<LocalProviderOptions>): Promise<LocalFixture> => {
  const fixture = await makeLocal(options);
  t.teardown(fixture.cleanup);
  return fixture;
};

/** Waits for something an agent does on its own; a hang fails the test instead. */
const until = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
};

type AgentStart = { pid: number; argv: string[]; cwd: string; env: Record<string, string | undefined>; envNames: string[] };

/** What the fake agent recorded about how it was started, once it has. */
const agentStart = async (fixture: LocalFixture, instanceId: string): Promise<AgentStart> => {
  const path = join(fixture.instanceDir(instanceId), 'fake-agent-start.json');
  await until(() => existsSync(path), 'the fake agent to start');
  return JSON.parse(await readFile(path, 'utf8')) as AgentStart;
};

instanceProviderContract(t, 'local', () => makeLocal());

t.test('the agent starts in its directory with the enrolment variables and --dir', async (t) => {
  const fixture = await freshLocal(t);
  const id = newInstanceId();
  await fixture.provider.provision(provisionRequest(id));
  const dir = fixture.instanceDir(id);
  const start = await agentStart(fixture, id);
  t.same(start.argv, ['--dir', dir]);
  t.equal(start.cwd, dir);
  t.same(start.env, { BOSUN_URL: 'http://127.0.0.1:9', BOSUN_REGISTRATION_TOKEN: `bsr_${id}`, BOSUN_AGENT_DIR: dir });
  t.equal(Number((await readFile(join(dir, 'agent.pid'), 'utf8')).trim()), start.pid, 'agent.pid holds its pid');
});

t.test("by default the agent gets the variables a process needs, not the rest of Bosun's environment", async (t) => {
  process.env.BOSUN_TEST_SECRET = 'not for agents';
  t.teardown(() => delete process.env.BOSUN_TEST_SECRET);
  const fixture = await freshLocal(t, { env: undefined });
  const id = newInstanceId();
  await fixture.provider.provision(provisionRequest(id));
  const { envNames } = await agentStart(fixture, id);
  t.notOk(envNames.includes('BOSUN_TEST_SECRET'), 'no secret');
  t.ok(envNames.includes('PATH'), 'PATH');
  t.ok(envNames.includes('BOSUN_URL'), 'the enrolment variables');
});

t.test('the configuration is written from the spec once and never overwritten by provision', async (t) => {
  const fixture = await freshLocal(t);
  const id = newInstanceId();
  await fixture.provider.provision(provisionRequest(id));
  const written = {
    runtime_version: '1.0.0',
    skills: [
      { name: 'git', version: '2.1.0', enabled: true },
      { name: 'browser', version: '1.0.0', enabled: false },
    ],
    settings: { allow_shell: false, log_level: 'info' },
    max_concurrent_tasks: 2,
    region: 'eu-west-1',
  };
  t.strictSame(await fixture.readAgentConfig(id), written, 'from the spec');

  const changedSpec = { ...contractSpec, runtime_version: '9.9.9', max_concurrent_tasks: 7 };
  await fixture.provider.provision({ ...provisionRequest(id), spec: changedSpec });
  t.strictSame(await fixture.readAgentConfig(id), written, 'a second provision, even with another spec, keeps it');

  await fixture.provider.suspend(id);
  await fixture.provider.provision({ ...provisionRequest(id), spec: changedSpec });
  await fixture.provider.resume({ ...provisionRequest(id), spec: changedSpec });
  t.strictSame(await fixture.readAgentConfig(id), written, 'and so do suspend and resume');
});

t.test('given skills installed from the catalog with parameters, then the configuration carries them', async (t) => {
  const fixture = await freshLocal(t);
  const id = newInstanceId();
  const spec = {
    ...contractSpec,
    skills: [
      { name: 'git', version: '2.1.0', parameters: { depth: 1 } },
      { name: 'jq', version: '1.7.0' },
    ],
  };
  await fixture.provider.provision({ ...provisionRequest(id), spec });
  t.strictSame(((await fixture.readAgentConfig(id)) as { skills: unknown }).skills, [
    { name: 'git', version: '2.1.0', enabled: true, parameters: { depth: 1 } },
    { name: 'jq', version: '1.7.0', enabled: true },
  ]);
});

t.test('agent.log receives stdout and stderr, appended across restarts', async (t) => {
  const fixture = await freshLocal(t);
  const id = newInstanceId();
  const logFile = join(fixture.instanceDir(id), 'agent.log');
  const log = () => readFile(logFile, 'utf8');
  await fixture.provider.provision(provisionRequest(id));
  await until(async () => (await log()).includes('a line on stderr'), 'both streams in agent.log');
  await fixture.provider.suspend(id);
  t.match(await log(), /SIGTERM, exiting/, 'the agent saw SIGTERM');
  await fixture.provider.resume(provisionRequest(id));
  await until(async () => (await log()).match(/a line on stderr/g)?.length === 2, 'the second start in agent.log');
  t.equal((await log()).match(/fake agent \d+ started in/g)?.length, 2, 'both starts, in one log');
});

t.test('restart stops the agent process and starts a new one', async (t) => {
  const fixture = await freshLocal(t);
  const id = newInstanceId();
  const logFile = join(fixture.instanceDir(id), 'agent.log');
  const log = () => readFile(logFile, 'utf8');
  await fixture.provider.provision(provisionRequest(id));
  await until(async () => (await log()).includes('a line on stderr'), 'the first start in agent.log');
  await fixture.provider.restart(provisionRequest(id));
  t.match(await log(), /SIGTERM, exiting/, 'the old process saw SIGTERM');
  await until(async () => (await log()).match(/fake agent \d+ started in/g)?.length === 2, 'the second start in agent.log');
  const pids = [...(await log()).matchAll(/fake agent (\d+) started in/g)].map((match) => match[1]);
  t.not(pids[0], pids[1], 'another process');
  t.equal(await fixture.agentProcesses(id), 1, 'one agent runs');
});

t.test('an agent that ignores SIGTERM is killed after the grace period', async (t) => {
  const fixture = await freshLocal(t, { env: { PATH: process.env.PATH, FAKE_AGENT_IGNORE_SIGTERM: '1' }, stopGraceMs: 100 });
  const id = newInstanceId();
  await fixture.provider.provision(provisionRequest(id));
  await agentStart(fixture, id);
  await fixture.provider.suspend(id);
  t.equal(await fixture.provider.isRunning(id), false);
  t.equal(await fixture.agentProcesses(id), 0);
  t.match(await readFile(join(fixture.instanceDir(id), 'agent.log'), 'utf8'), /ignoring SIGTERM/);
});

t.test('a pid file naming another process or no pid is not taken for the agent', async (t) => {
  const fixture = await freshLocal(t);
  for (const [what, content] of [
    ['a live process that is not the agent', `${process.pid}\n`],
    ['a pid that runs nothing', '2147483646\n'],
    ['no pid', 'garbage'],
  ] as const) {
    const id = newInstanceId();
    mkdirSync(fixture.instanceDir(id), { recursive: true });
    await writeFile(join(fixture.instanceDir(id), 'agent.pid'), content);
    t.equal(await fixture.provider.isRunning(id), false, `${what}: not running`);
    await fixture.provider.provision(provisionRequest(id));
    t.equal(await fixture.agentProcesses(id), 1, `${what}: provision starts the agent`);
  }
});

t.test('a backup copies the instance without log, pid and mark into backups/<id>/<backupId>', async (t) => {
  const fixture = await freshLocal(t);
  const id = newInstanceId();
  await fixture.provider.provision(provisionRequest(id));
  await agentStart(fixture, id);
  await writeFile(join(fixture.instanceDir(id), 'credential'), 'bsi_secret', { mode: 0o600 });
  await fixture.provider.suspend(id);
  const backup = await fixture.provider.backup(id, 'backup-1');
  t.equal(backup.location, join(fixture.dataDir, 'backups', id, 'backup-1'));
  t.same((await readdir(backup.location)).sort(), ['agent-config.json', 'credential', 'fake-agent-start.json']);
  const sizes = await Promise.all(
    ['agent-config.json', 'credential', 'fake-agent-start.json'].map(async (name) => (await readFile(join(backup.location, name))).length),
  );
  t.equal(
    backup.sizeBytes,
    sizes.reduce((a, b) => a + b, 0),
    'the size is the sum of its files',
  );
  t.same(await fixture.provider.backup(id, 'backup-1'), backup, 'the same again');
  await t.rejects(fixture.provider.backup(id, '../escape'), LocalProviderError, 'a backup id must be a plain name');
});

t.test('destroy moves the instance under instances/.destroyed', async (t) => {
  const fixture = await freshLocal(t);
  const id = newInstanceId();
  await fixture.provider.provision(provisionRequest(id));
  await fixture.provider.destroy(id);
  t.notOk(existsSync(fixture.instanceDir(id)), 'gone from instances/');
  const graves = await readdir(join(fixture.dataDir, 'instances', '.destroyed'));
  t.equal(graves.length, 1);
  t.ok(graves[0]?.startsWith(`${id}-`), 'named after the instance and the time');
  t.ok(existsSync(join(fixture.dataDir, 'instances', '.destroyed', graves[0] as string, 'agent-config.json')), 'its state stays readable');
});

t.test('an instance id that is not a plain name is refused', async (t) => {
  const fixture = await freshLocal(t);
  for (const id of ['../outside', '.destroyed', 'a/b', '']) {
    await t.rejects(fixture.provider.provision(provisionRequest(id)), { name: 'LocalProviderError', instanceId: id }, JSON.stringify(id));
  }
  t.notOk(existsSync(join(fixture.dataDir, 'outside')));
});

t.test('an agent command that cannot run fails provision with the instance and its directory', async (t) => {
  const fixture = await freshLocal(t, { agentCommand: [join(tmpdir(), 'bosun-no-such-dir', 'no-such-agent')] });
  const id = newInstanceId();
  await t.rejects(fixture.provider.provision(provisionRequest(id)), {
    name: 'LocalProviderError',
    instanceId: id,
    path: fixture.instanceDir(id),
    message: /cannot start the agent/,
  });
  t.equal(await fixture.provider.isRunning(id), false);
});
