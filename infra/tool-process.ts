/**
 * What every installer and runner of outside tools shares (the Temporal CLI, the engines,
 * schemathesis): where the project's cache is, running a program to completion with its
 * output kept, and saying briefly why it failed.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { projectRoot } from './project-root.js';

/** `BOSUN_CACHE_DIR`, or `.cache` in the project root. */
export const defaultCacheDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.BOSUN_CACHE_DIR ? resolve(env.BOSUN_CACHE_DIR) : join(projectRoot(), '.cache');

export type RunOptions = {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly uid?: number;
  readonly gid?: number;
};

export type RunResult = { readonly stdout: string; readonly stderr: string };

/** The last lines of a tool's output, enough to say why it failed. */
export const tail = (text: unknown, lines = 12): string => (typeof text === 'string' ? text.trim().split('\n').slice(-lines).join('\n') : '');

/** Why a `run` failed, in a few words and the tool's last lines of output (on the same line when it is one). */
export const describeFailure = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string; stderr?: unknown; stdout?: unknown };
  if (e.code === 'ENOENT') return 'not found';
  if (e.code === 'EACCES') return 'not executable';
  if (e.killed) return `timed out (${e.signal ?? 'killed'})`;
  const output = tail(e.stderr) || tail(e.stdout);
  const status = typeof e.code === 'number' ? `exit code ${e.code}` : e.signal ? `signal ${e.signal}` : (e.message ?? String(error));
  if (!output) return status;
  return output.includes('\n') ? `${status}:\n${output}` : `${status}: ${output}`;
};

/** Runs a program to completion; rejects with its output attached (see {@link describeFailure}). */
export const run = (file: string, args: readonly string[], options: RunOptions): Promise<RunResult> =>
  new Promise((done, fail) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs,
        maxBuffer: 32 * 1024 * 1024,
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      },
      (error, stdout, stderr) => {
        if (error) fail(Object.assign(error, { stdout, stderr }));
        else done({ stdout, stderr });
      },
    );
  });

/**
 * Installs a tool the way every installer here does: builds it in a scratch folder in
 * `base` (`build` answers the path inside it to move), then renames that into `target`.
 * A rename is atomic, so a process racing this one finds no install or a whole one; of
 * two racing installs the second takes the first's (`installed` says whether one is
 * there); an interrupted install leaves a scratch folder that the next one removes.
 */
export const installAtomically = async (options: {
  readonly base: string;
  readonly target: string;
  readonly build: (scratch: string) => Promise<string>;
  readonly installed: () => boolean;
  readonly failure: (message: string) => Error;
}): Promise<void> => {
  await mkdir(options.base, { recursive: true });
  for (const name of await readdir(options.base)) {
    if (name.startsWith('.install-')) await rm(join(options.base, name), { recursive: true, force: true }).catch(() => undefined);
  }
  const scratch = await mkdtemp(join(options.base, '.install-'));
  try {
    const built = await options.build(scratch);
    await mkdir(dirname(options.target), { recursive: true });
    try {
      await rename(built, options.target);
    } catch (error) {
      if (!options.installed()) throw options.failure(`cannot move the install into ${options.target}: ${(error as Error).message}`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
};
