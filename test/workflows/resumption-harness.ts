/** What the crash-resumption tests share: a Bosun with its fleet, its API, and what they look at. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminKey } from '../api/harness.js';
import { stopped, type ServedBosun } from '../api/process.js';
import { eventually } from './fleet-harness.js';

export type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

export const apiAt =
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

export const fleetEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  BOSUN_ADMIN_KEY: adminKey,
  BOSUN_WORKFLOWS: 'on',
  BOSUN_HEARTBEAT_SECONDS: '1',
  BOSUN_ACK_TIMEOUT_SECONDS: '5',
  ...extra,
});

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Agents of this data dir, from their pid files: killed at the end whatever happened. */
export const agentPids = (dataDir: string): number[] => {
  const instances = join(dataDir, 'instances');
  if (!existsSync(instances)) return [];
  return readdirSync(instances)
    .map((id) => join(instances, id, 'agent.pid'))
    .filter((file) => existsSync(file))
    .map((file) => Number(readFileSync(file, 'utf8').trim()));
};

export const scratch = (t: { teardown: (fn: () => void) => void }): string => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-resume-'));
  t.teardown(() => {
    for (const pid of agentPids(dataDir)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  return dataDir;
};

export const stop = async (bosun: ServedBosun) => {
  if (bosun.child.exitCode === null && bosun.child.signalCode === null) bosun.child.kill('SIGTERM');
  await stopped(bosun.child);
};

export const deploy = async (api: Api, spec: object = {}): Promise<string> => {
  const deployed = await api('POST', '/api/v1/instances', { name: 'box', provider: 'local', spec });
  const id = deployed.body.id as string;
  await eventually(
    'instance healthy',
    async () => {
      const { body } = await api('GET', `/api/v1/instances/${id}`);
      return body.status === 'running' && body.health === 'healthy';
    },
    60_000,
  );
  return id;
};

/** A shell task whose side effect (a line appended to `file`) shows how often it ran. */
export const countedTask = (file: string, seconds: number) => ({
  kind: 'shell',
  input: { command: 'sh', args: ['-c', `sleep ${seconds}; echo ran >> ${file}`] },
});

export const waitStatus = (api: Api, taskId: string, status: string, ms = 60_000) =>
  eventually(`task ${status}`, async () => (await api('GET', `/api/v1/tasks/${taskId}`)).body?.status === status, ms);

export const linesIn = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0);

/** The pid of the dev server Bosun started for `dataDir`, found by its database file. */
export const devServerPid = (dataDir: string): number | null => {
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

/** Changes a skill's version in an agent's actual configuration, behind its back: a medium drift, which waits for approval. */
export const driftSkillVersion = (dataDir: string, instanceId: string) => {
  const path = join(dataDir, 'instances', instanceId, 'agent-config.json');
  const config = JSON.parse(readFileSync(path, 'utf8')) as { skills: { name: string; version: string }[] };
  writeFileSync(`${path}.edit`, JSON.stringify({ ...config, skills: [{ name: 'git', version: '2.0.0', enabled: true }] }));
  renameSync(`${path}.edit`, path);
};

export const remediationScenario = async (api: Api, dataDir: string, crash: () => Promise<void>) => {
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
