/**
 * What every installer and runner of outside tools shares (the Temporal CLI, the engines,
 * schemathesis): where the project's cache is, running a program to completion with its
 * output kept, and saying briefly why it failed.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
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
