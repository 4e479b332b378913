/** The agent's actual configuration: `<dir>/agent-config.json`, and the snapshot heartbeats report. */
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomically } from './atomic-file.js';

/** `parameters`: those the skill was installed with from the catalog, when it has any. */
export type Skill = { readonly name: string; readonly version: string; readonly enabled: boolean; readonly parameters?: Readonly<Record<string, unknown>> };

/** The file as written by the provider and by remediation; fields the agent does not know are kept as they are. */
export type AgentConfig = {
  readonly runtime_version?: unknown;
  readonly skills?: unknown;
  readonly settings?: unknown;
  readonly region?: unknown;
  readonly max_concurrent_tasks?: unknown;
  readonly resources?: unknown;
  readonly [other: string]: unknown;
};

export type ConfigurationSnapshot = {
  readonly provider: string;
  readonly runtime_version: string | null;
  readonly skills: readonly Skill[];
  readonly settings: Readonly<Record<string, unknown>>;
  readonly resources: { readonly cpus: number; readonly memory_mb: number; readonly open_ports: readonly number[]; readonly region: string | null };
};

export class AgentConfigError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'AgentConfigError';
  }
}

export const agentConfigPath = (dir: string): string => join(dir, 'agent-config.json');

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The file's contents; `{}` when the provider has not written it yet. */
export const readAgentConfig = async (dir: string): Promise<AgentConfig> => {
  const path = agentConfigPath(dir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new AgentConfigError(path, `not JSON (${(error as Error).message})`);
  }
  if (!isRecord(parsed)) throw new AgentConfigError(path, 'not a JSON object');
  return parsed;
};

/** Like `readAgentConfig`, but a broken file reads as empty (and is logged): heartbeats must go on. */
export const readAgentConfigOrEmpty = async (dir: string, logger: Logger): Promise<AgentConfig> => {
  try {
    return await readAgentConfig(dir);
  } catch (error) {
    logger.error({ err: error, path: agentConfigPath(dir) }, 'agent configuration unreadable; treated as empty');
    return {};
  }
};

const updates = new Map<string, Promise<unknown>>();

/** Read, change, write; changes to one directory's file run one at a time so none is lost. */
export const updateAgentConfig = <T>(dir: string, change: (config: AgentConfig) => { config: AgentConfig; result: T }): Promise<T> => {
  const update = async () => {
    const { config, result } = change(await readAgentConfig(dir));
    // Owner-only: the configuration holds the values of secret settings.
    await writeFileAtomically(agentConfigPath(dir), `${JSON.stringify(config, null, 2)}\n`, 0o600);
    return result;
  };
  const next = (updates.get(dir) ?? Promise.resolve()).then(update, update);
  const settled = next.catch(() => undefined);
  updates.set(dir, settled);
  void settled.then(() => updates.get(dir) === settled && updates.delete(dir));
  return next;
};

/**
 * The skills as the file lists them. A skill without `enabled` is enabled, as in the
 * desired spec, which lists only names and versions: an operator's hand edit that leaves
 * it out is a skill installed, not an entry to ignore. `parameters` that are not an object
 * are left out, as if there were none.
 */
export const configuredSkills = (config: AgentConfig): Skill[] =>
  Array.isArray(config.skills)
    ? config.skills.flatMap((skill) =>
        isRecord(skill) &&
        typeof skill.name === 'string' &&
        typeof skill.version === 'string' &&
        (skill.enabled === undefined || typeof skill.enabled === 'boolean')
          ? [
              {
                name: skill.name,
                version: skill.version,
                enabled: skill.enabled ?? true,
                ...(isRecord(skill.parameters) ? { parameters: skill.parameters } : {}),
              },
            ]
          : [],
      )
    : [];

export const configuredSettings = (config: AgentConfig): Record<string, unknown> => (isRecord(config.settings) ? config.settings : {});

/** How many tasks run at once: `max_concurrent_tasks`, 1 when absent or not a positive whole number. */
export const maxConcurrentTasks = (config: AgentConfig): number =>
  Number.isInteger(config.max_concurrent_tasks) && (config.max_concurrent_tasks as number) > 0 ? (config.max_concurrent_tasks as number) : 1;

const openPorts = (config: AgentConfig): number[] => {
  const ports = isRecord(config.resources) ? config.resources.open_ports : undefined;
  return Array.isArray(ports) ? ports.filter((port): port is number => Number.isInteger(port)) : [];
};

/** What the heartbeat reports: the file as it is now, plus what the machine has. */
export const configurationSnapshot = (config: AgentConfig, provider: string): ConfigurationSnapshot => ({
  provider,
  runtime_version: typeof config.runtime_version === 'string' ? config.runtime_version : null,
  skills: configuredSkills(config),
  settings: configuredSettings(config),
  resources: {
    cpus: cpus().length,
    memory_mb: Math.round(totalmem() / 2 ** 20),
    open_ports: openPorts(config),
    region: typeof config.region === 'string' ? config.region : null,
  },
});
