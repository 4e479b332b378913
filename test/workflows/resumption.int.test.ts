/**
 * Crashes in the middle of running tasks: the worker (with Bosun around it), the Temporal
 * server, and the whole process group. After each, the fleet finishes the task exactly once.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { adminKey } from '../api/harness.js';
import { freePort, missingBuild, serve, stopped, type ServedBosun } from '../api/process.js';
import { eventually, sharedTemporal } from './fleet-harness.js';

const temporal = missingBuild ? null : await sharedTemporal(t);

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

const apiAt =
  (base: string): Api =>
  async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };

const fleetEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  BOSUN_ADMIN_KEY: adminKey,
  BOSUN_WORKFLOWS: 'on',
  BOSUN_HEARTBEAT_SECONDS: '1',
  BOSUN_ACK_TIMEOUT_SECONDS: '5',
  ...extra,
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Agents of this data dir, from their pid files: killed at the end whatever happened. */
const agentPids = (dataDir: string): number[] => {
  const instances = join(dataDir, 'instances');
  if (!existsSync(instances)) return [];
  return readdirSync(instances)
    .map((id) => join(instances, id, 'agent.pid'))
    .filter((file) => existsSync(file))
    .map((file) => Number(readFileSync(file, 'utf8').trim()));
};

const scratch = (t: { teardown: (fn: () => void) => void }): string => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-resume-'));
  t.teardown(() => {
    for (const pid of agentPids(dataDir)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  return dataDir;
};

const stop = async (bosun: ServedBosun) => {
  if (bosun.child.exitCode === null && bosun.child.signalCode === null) bosun.child.kill('SIGTERM');
  await stopped(bosun.child);
};

const deploy = async (api: Api, spec: object = {}): Promise<string> => {
  const deployed = await api('POST', '/api/v1/instances', { name: 'box', provider: 'local', spec });
  const id = deployed.body.id as string;
  await eventually('instance healthy', async () => {
    const { body } = await api('GET', `/api/v1/instances/${id}`);
    return body.status === 'running' && body.health === 'healthy';
  }, 60_000);
  return id;
};

/** A shell task whose side effect (a line appended to `file`) shows how often it ran. */
const countedTask = (file: string, seconds: number) => ({
  kind: 'shell',
  input: { command: 'sh', args: ['-c', `sleep ${seconds}; echo ran >> ${file}`] },
});

const waitStatus = (api: Api, taskId: string, status: string, ms = 60_000) =>
  eventually(`task ${status}`, async () => (await api('GET', `/api/v1/tasks/${taskId}`)).body?.status === status, ms);

const linesIn = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0);

t.test('the worker killed mid-task: Bosun (and its worker) come back and the task completes once', { skip: missingBuild }, async (t) => {
  const dataDir = scratch(t);
  const port = await freePort();
  const env = fleetEnv({ TEMPORAL_ADDRESS: temporal!.address, BOSUN_TASK_QUEUE: `resume-worker-${process.pid}` });
  let bosun = await serve(dataDir, port, env);
  t.teardown(() => stop(bosun));
  const api = apiAt(bosun.base);
  await deploy(api, { settings: { allow_shell: true } });
  const sideEffect = join(dataDir, 'side-effect.log');
  const taskId = (await api('POST', '/api/v1/tasks', countedTask(sideEffect, 3))).body.id as string;
  await waitStatus(api, taskId, 'running');

  bosun.child.kill('SIGKILL');
  await stopped(bosun.child);
  // The agent outlives Bosun (a child, not killed with it): it keeps running the task.
  bosun = await serve(dataDir, port, env);
  await waitStatus(api, taskId, 'completed');
  t.equal(linesIn(sideEffect), 1, 'the task ran exactly once');
  const events = (await api('GET', `/api/v1/tasks/${taskId}`)).body;
  t.equal(events.attempts, 1, 'one attempt: nothing was retried');
});

/** The pid of the dev server Bosun started for `dataDir`, found by its database file. */
const devServerPid = (dataDir: string): number | null => {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('start-dev') && cmdline.includes(join(dataDir, 'temporal'))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
};

t.test('the Temporal server killed mid-task: it is started again and the task completes once', { skip: missingBuild || (!existsSync('/proc') && 'needs /proc') }, async (t) => {
  const dataDir = scratch(t);
  const port = await freePort();
  const bosun = await serve(dataDir, port, fleetEnv());
  t.teardown(() => stop(bosun));
  const api = apiAt(bosun.base);
  await deploy(api, { settings: { allow_shell: true } });
  const sideEffect = join(dataDir, 'side-effect.log');
  const taskId = (await api('POST', '/api/v1/tasks', countedTask(sideEffect, 3))).body.id as string;
  await waitStatus(api, taskId, 'running');

  const pid = devServerPid(dataDir);
  t.ok(pid, 'the embedded dev server runs');
  process.kill(pid as number, 'SIGKILL');
  await eventually('a new dev server', async () => {
    const next = devServerPid(dataDir);
    return next !== null && next !== pid;
  });
  await waitStatus(api, taskId, 'completed');
  t.equal(linesIn(sideEffect), 1, 'the task ran exactly once');
  // The fleet still works after the restart.
  const next = (await api('POST', '/api/v1/tasks', { kind: 'echo', input: { message: 'after' } })).body.id as string;
  await waitStatus(api, next, 'completed');
});

t.test('kill -9 of the whole process group, then start again: instances come back and the running task is retried and completes', { skip: missingBuild }, async (t) => {
  const dataDir = scratch(t);
  const port = await freePort();
  const first = await serve(dataDir, port, fleetEnv(), { detached: true });
  const api = apiAt(first.base);
  const instanceId = await deploy(api);
  // A sleep, not a shell task: a shell command runs in a process group of its own and would outlive the kill.
  const taskId = (await api('POST', '/api/v1/tasks', { kind: 'sleep', input: { seconds: 2 } })).body.id as string;
  await waitStatus(api, taskId, 'running');
  const [oldAgent] = agentPids(dataDir);

  process.kill(-(first.child.pid as number), 'SIGKILL');
  await stopped(first.child);
  await eventually('the agent died with the group', async () => !alive(oldAgent as number));

  const second = await serve(dataDir, port, fleetEnv(), { detached: true });
  t.teardown(() => stop(second));
  await eventually('the instance is healthy again', async () => (await api('GET', `/api/v1/instances/${instanceId}`)).body.health === 'healthy', 60_000);
  t.not(agentPids(dataDir)[0], oldAgent, 'a new agent process runs the instance');
  await waitStatus(api, taskId, 'completed', 90_000);
  const task = (await api('GET', `/api/v1/tasks/${taskId}`)).body;
  t.equal(task.attempts, 2, 'the lost run was retried within the retry policy');
  t.match(task.outputs, { slept_seconds: 2 });
});

/** Changes a skill's version in an agent's actual configuration, behind its back: a medium drift, which waits for approval. */
const driftSkillVersion = (dataDir: string, instanceId: string) => {
  const path = join(dataDir, 'instances', instanceId, 'agent-config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as { skills: { name: string; version: string }[] };
  writeFileSync(`${path}.edit`, JSON.stringify({ ...config, skills: [{ name: 'git', version: '2.0.0', enabled: true }] }));
  renameSync(`${path}.edit`, path);
};

const remediationScenario = async (api: Api, dataDir: string, crash: () => Promise<void>) => {
  const instanceId = await deploy(api, { skills: [{ name: 'git', version: '2.1.0' }] });
  driftSkillVersion(dataDir, instanceId);
  const proposed = await eventually('a remediation plan', async () =>
    ((await api('GET', `/api/v1/drift-events?instance_id=${instanceId}`)).body.data as any[]).find((drift) => drift.plan !== null),
  );
  const approved = await api('POST', `/api/v1/drift-events/${proposed.id}/remediation/approve`, {});
  if (approved.status !== 200) throw new Error(`approve answered ${approved.status}`);
  await crash();
  const resolved = await eventually(
    'the drift resolved',
    async () => {
      const { body } = await api('GET', `/api/v1/drift-events/${proposed.id}`);
      return body?.status === 'resolved' ? body : null;
    },
    90_000,
  );
  const config = JSON.parse(readFileSync(join(dataDir, 'instances', instanceId, 'agent-config.json'), 'utf8')) as { skills: { version: string }[] };
  const remediations = (await api('GET', `/api/v1/tasks?kind=config.apply&limit=100`)).body.data as any[];
  return { resolved, config, remediations };
};

t.test('the worker killed mid-remediation: after the restart the remediation finishes, run once', { skip: missingBuild }, async (t) => {
  const dataDir = scratch(t);
  const port = await freePort();
  const env = fleetEnv({ TEMPORAL_ADDRESS: temporal!.address, BOSUN_TASK_QUEUE: `resume-drift-${process.pid}` });
  let bosun = await serve(dataDir, port, env);
  t.teardown(() => stop(bosun));
  const outcome = await remediationScenario(apiAt(bosun.base), dataDir, async () => {
    bosun.child.kill('SIGKILL');
    await stopped(bosun.child);
    bosun = await serve(dataDir, port, env);
  });
  t.equal(outcome.config.skills[0]?.version, '2.1.0', 'the agent put the version back');
  t.equal(outcome.remediations.length, 1, 'one remediation task, not a second after the restart');
  t.match(outcome.remediations[0], { status: 'completed' });
});

t.test('the Temporal server killed mid-remediation: it is started again and the remediation finishes, run once', { skip: missingBuild || (!existsSync('/proc') && 'needs /proc') }, async (t) => {
  const dataDir = scratch(t);
  const port = await freePort();
  const bosun = await serve(dataDir, port, fleetEnv());
  t.teardown(() => stop(bosun));
  const outcome = await remediationScenario(apiAt(bosun.base), dataDir, async () => {
    const pid = devServerPid(dataDir);
    if (pid === null) throw new Error('no dev server');
    process.kill(pid, 'SIGKILL');
  });
  t.equal(outcome.config.skills[0]?.version, '2.1.0', 'the agent put the version back');
  t.equal(outcome.remediations.length, 1, 'one remediation task');
  t.match(outcome.remediations[0], { status: 'completed' });
});
