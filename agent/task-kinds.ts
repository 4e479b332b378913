/** The built-in task kinds of the reference agent, by name. */
import { configApply } from './kinds/config-apply.js';
import { echo } from './kinds/echo.js';
import { httpGet } from './kinds/http-get.js';
import { shell } from './kinds/shell.js';
import { sleep } from './kinds/sleep.js';
import { TaskFailure } from './task-failure.js';

export type TaskContext = {
  /** Aborted when the task is cancelled or the agent stops; a kind stops as soon as it can. */
  readonly signal: AbortSignal;
  readonly timeoutSeconds: number | null;
  /** The agent's directory, where `agent-config.json` lives. */
  readonly dir: string;
  /** Streams one line of output to Bosun as a progress log. */
  readonly log: (stream: 'stdout' | 'stderr', line: string) => void;
  /** The desired value of one of the instance's settings, asked of Bosun. */
  readonly desiredSetting: (name: string) => Promise<unknown>;
};

/** Checks its input (throwing `invalid_input`), runs, and answers the task's outputs. */
export type TaskKind = (input: unknown, context: TaskContext) => Promise<Record<string, unknown>>;

const kinds: Readonly<Record<string, TaskKind>> = { echo, sleep, 'http.get': httpGet, shell, 'config.apply': configApply };

export const runTaskKind = (kind: string, input: unknown, context: TaskContext): Promise<Record<string, unknown>> => {
  const run = Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
  if (!run) return Promise.reject(new TaskFailure('unsupported_kind', `this agent does not run tasks of kind "${kind}"`, false));
  return run(input, context);
};
