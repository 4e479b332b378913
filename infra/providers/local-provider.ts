/**
 * The `local` instance provider, the embedded default: each instance is a directory on this
 * machine and its agent a child process of Bosun working in it.
 *
 * ```
 * <dataDir>/instances/<instanceId>/            the agent's working dir (--dir, BOSUN_AGENT_DIR)
 *     agent-config.json                        actual configuration; written from the spec once
 *     credential                               kept by the agent after it registered
 *     agent.log  agent.pid  suspended          the provider's bookkeeping, left out of backups
 * <dataDir>/instances/.destroyed/<instanceId>-<time>/
 * <dataDir>/backups/<instanceId>/<backupId>/
 * ```
 *
 * Everything the provider knows is in these files, so a provider created after a Bosun
 * restart finds the agents an earlier one started.
 */
import type { ChildProcess } from 'node:child_process';
import { access, cp, link, lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { InstanceSpec } from '../../domain/instance/index.js';
import type { Backup, InstanceProvider, ProvisionRequest } from '../../workflows/instance-provider.js';
import { projectRoot } from '../project-root.js';
import { isAgentProcess, LocalProviderError, readPidFile, spawnAgent, stopAgentProcesses, writePidFile } from './local-agent-process.js';

export { LocalProviderError } from './local-agent-process.js';

export type LocalProviderOptions = {
  /** Holds `instances/` and `backups/`. */
  readonly dataDir: string;
  readonly logger: Logger;
  /**
   * The agent's argv; `--dir <instance dir>` is appended.
   * @defaultValue `[process.execPath, '<project>/dist/cli.js', 'agent']`
   */
  readonly agentCommand?: readonly string[];
  /**
   * The environment agents start in, to which the enrolment variables are added.
   * @defaultValue the variables of Bosun's own environment a process needs to run (PATH,
   * HOME, user, shell, locale, TZ, TMPDIR), never the rest: that holds Bosun's secrets
   * (admin key, database URLs) and an agent runs whatever its tasks ask for.
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * How long stopping an agent waits after SIGTERM before SIGKILL.
   * @defaultValue 10_000
   */
  readonly stopGraceMs?: number;
};

const CONFIG_FILE = 'agent-config.json';
const LOG_FILE = 'agent.log';
const PID_FILE = 'agent.pid';
/** Present while the instance is suspended: nothing but `resume` starts its agent. */
const SUSPENDED_MARK = 'suspended';
const BOOKKEEPING_FILES = new Set([LOG_FILE, PID_FILE, SUSPENDED_MARK]);
const DESTROYED_DIR = '.destroyed';

const INHERITED_VARIABLES = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

/** Ids become directory names: one plain path segment, never `..` nor hidden like `.destroyed`. */
const PATH_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** The first configuration of an agent, from its desired spec (docs/agent-api.md). */
const initialAgentConfig = (spec: InstanceSpec) => ({
  runtime_version: spec.runtime_version,
  skills: spec.skills.map((skill) => ({
    name: skill.name,
    version: skill.version,
    enabled: skill.enabled ?? true,
    ...(skill.parameters ? { parameters: skill.parameters } : {}),
  })),
  settings: spec.settings,
  max_concurrent_tasks: spec.max_concurrent_tasks,
  region: spec.resources.region,
});

/**
 * Writes the agent's configuration only if it has none: a retried provision must not erase
 * what the agent changed since (a remediation, or drift that has yet to be reported).
 * Written aside and linked into place: unlike an exclusive open, a crash never leaves a
 * half-written configuration that would then be kept forever.
 */
const writeConfigIfAbsent = async (dir: string, spec: InstanceSpec): Promise<boolean> => {
  const path = join(dir, CONFIG_FILE);
  if (await exists(path)) return false;
  const draft = `${path}.${process.pid}.draft`;
  await writeFile(draft, `${JSON.stringify(initialAgentConfig(spec), null, 2)}\n`, { mode: 0o600 });
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
  }
};

const totalFileBytes = async (dir: string): Promise<number> => {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((entry) => entry.isFile()).map(async (entry) => (await lstat(join(entry.parentPath, entry.name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
};

export const createLocalProvider = (options: LocalProviderOptions): InstanceProvider => {
  const dataDir = resolve(options.dataDir);
  const instancesDir = join(dataDir, 'instances');
  const backupsDir = join(dataDir, 'backups');
  const logger = options.logger.child({ provider: 'local' });
  const agentCommand = options.agentCommand ?? [process.execPath, join(projectRoot(), 'dist', 'cli.js'), 'agent'];
  const baseEnv =
    options.env ?? Object.fromEntries(INHERITED_VARIABLES.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])));
  const stopGraceMs = options.stopGraceMs ?? 10_000;
  /** The agents this provider started and that have not exited. */
  const children = new Map<string, ChildProcess>();
  /** The tail of each instance's queue of operations: one at a time per instance. */
  const queues = new Map<string, Promise<unknown>>();

  const exclusively = <T>(instanceId: string, operation: () => Promise<T>): Promise<T> => {
    const result = (queues.get(instanceId) ?? Promise.resolve()).then(operation);
    const settled = result.catch(() => undefined);
    queues.set(instanceId, settled);
    void settled.then(() => {
      if (queues.get(instanceId) === settled) queues.delete(instanceId);
    });
    return result;
  };

  const checkSegment = (what: string, value: string, instanceId: string): void => {
    if (!PATH_SEGMENT.test(value))
      throw new LocalProviderError(`${what} "${value}" cannot name a directory: use letters, digits, ".", "_" and "-", at most 128`, { instanceId });
  };

  const instanceDir = (instanceId: string): string => {
    checkSegment('instance id', instanceId, instanceId);
    return join(instancesDir, instanceId);
  };

  const existingInstanceDir = async (instanceId: string): Promise<string> => {
    const dir = instanceDir(instanceId);
    if (!(await exists(dir))) throw new LocalProviderError(`instance ${instanceId} does not exist: no directory ${dir}`, { instanceId, path: dir });
    return dir;
  };

  /** The pid file's pid and the child we hold, if either is still the agent: the agent may have rewritten the file with another pid. */
  const runningAgentPids = async (instanceId: string, dir: string): Promise<number[]> => {
    const candidates = [...new Set([await readPidFile(join(dir, PID_FILE)), children.get(instanceId)?.pid])].filter((pid) => pid != null);
    const alive = await Promise.all(candidates.map((pid) => isAgentProcess(pid, dir)));
    return candidates.filter((_, i) => alive[i]);
  };

  const startAgent = async (request: ProvisionRequest, dir: string): Promise<void> => {
    const { instanceId } = request;
    const running = await runningAgentPids(instanceId, dir);
    if (running.length > 0) {
      logger.debug({ instanceId, pids: running }, 'agent already runs');
      return;
    }
    const child = await spawnAgent({
      instanceId,
      argv: [...agentCommand, '--dir', dir],
      dir,
      env: { ...baseEnv, BOSUN_URL: request.apiUrl, BOSUN_REGISTRATION_TOKEN: request.registrationToken, BOSUN_AGENT_DIR: dir },
      logFile: join(dir, LOG_FILE),
      logger,
    });
    children.set(instanceId, child);
    child.once('exit', () => {
      if (children.get(instanceId) === child) children.delete(instanceId);
    });
    await writePidFile(join(dir, PID_FILE), child.pid as number);
    logger.info({ instanceId, pid: child.pid, dir }, 'agent started');
  };

  const stopAgent = async (instanceId: string, dir: string): Promise<void> => {
    const running = await runningAgentPids(instanceId, dir);
    if (running.length > 0) {
      await stopAgentProcesses(running, { instanceId, dir, graceMs: stopGraceMs, logger });
      logger.info({ instanceId, pids: running }, 'agent stopped');
    }
    await rm(join(dir, PID_FILE), { force: true });
  };

  return {
    name: 'local',

    provision: (request) =>
      exclusively(request.instanceId, async () => {
        const { instanceId } = request;
        const dir = instanceDir(instanceId);
        // 0700: the agent keeps its credential here.
        await mkdir(dir, { recursive: true, mode: 0o700 });
        if (await writeConfigIfAbsent(dir, request.spec))
          logger.info({ instanceId, path: join(dir, CONFIG_FILE) }, 'agent configuration written from the spec');
        if (await exists(join(dir, SUSPENDED_MARK))) {
          logger.info({ instanceId }, 'instance is suspended: provision leaves its agent stopped');
        } else {
          await startAgent(request, dir);
        }
        // Local agents only call out to Bosun: there is nothing to reach them at.
        return { endpoint: null };
      }),

    suspend: (instanceId) =>
      exclusively(instanceId, async () => {
        const dir = await existingInstanceDir(instanceId);
        // Marked before stopping: should Bosun die in between, the instance still reads as
        // suspended, and a retried provision leaves it stopped.
        await writeFile(join(dir, SUSPENDED_MARK), `${new Date().toISOString()}\n`);
        await stopAgent(instanceId, dir);
      }),

    resume: (request) =>
      exclusively(request.instanceId, async () => {
        const dir = await existingInstanceDir(request.instanceId);
        await rm(join(dir, SUSPENDED_MARK), { force: true });
        // No configuration is written: a lost one is drift for the agent to report, not to paper over.
        await startAgent(request, dir);
      }),

    restart: (request) =>
      exclusively(request.instanceId, async () => {
        const dir = await existingInstanceDir(request.instanceId);
        if (await exists(join(dir, SUSPENDED_MARK))) throw new Error(`instance ${request.instanceId} is suspended: resume it instead`);
        await stopAgent(request.instanceId, dir);
        await startAgent(request, dir);
      }),

    backup: (instanceId, backupId) =>
      exclusively(instanceId, async () => {
        const dir = await existingInstanceDir(instanceId);
        checkSegment('backup id', backupId, instanceId);
        const location = join(backupsDir, instanceId, backupId);
        if (!(await exists(location))) {
          // Copied aside and renamed: a backup that exists is complete. The agent replaces its
          // files whole (written aside, renamed), so a copy taken while it runs holds each whole.
          const draft = join(backupsDir, instanceId, `.${backupId}.draft`);
          await rm(draft, { recursive: true, force: true });
          await mkdir(dirname(draft), { recursive: true, mode: 0o700 });
          await cp(dir, draft, { recursive: true, preserveTimestamps: true, filter: (source) => !BOOKKEEPING_FILES.has(relative(dir, source)) });
          await rename(draft, location);
          logger.info({ instanceId, backupId, location }, 'instance backed up');
        }
        return { location, sizeBytes: await totalFileBytes(location) } satisfies Backup;
      }),

    // Moved aside rather than removed: a destroyed instance stays readable (its log, its
    // last configuration) for whoever investigates it, and a rename cannot stop halfway
    // the way a recursive removal can. Purging `.destroyed/` is an operator's decision.
    destroy: (instanceId) =>
      exclusively(instanceId, async () => {
        const dir = instanceDir(instanceId);
        if (!(await exists(dir))) {
          logger.debug({ instanceId }, 'instance already destroyed');
          return;
        }
        await stopAgent(instanceId, dir);
        const destroyedDir = join(instancesDir, DESTROYED_DIR);
        await mkdir(destroyedDir, { recursive: true, mode: 0o700 });
        const grave = join(destroyedDir, `${instanceId}-${new Date().toISOString().replaceAll(':', '-')}`);
        await rename(dir, grave);
        logger.info({ instanceId, path: grave }, 'instance destroyed');
      }),

    isRunning: async (instanceId) => (await runningAgentPids(instanceId, instanceDir(instanceId))).length > 0,

    close: async (closeOptions) => {
      if (!closeOptions?.stopAgents) return;
      await Promise.all([...children.keys()].map((instanceId) => exclusively(instanceId, () => stopAgent(instanceId, instanceDir(instanceId)))));
    },
  };
};
