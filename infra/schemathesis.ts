/**
 * Finds schemathesis, the fuzzer that tests the API against its own OpenAPI document, and
 * installs it into the cache when it is not there. It is a Python program on PyPI: it is
 * installed with pip into a virtualenv of its own, `<cache>/schemathesis/<version>/`, so
 * Python 3 with venv and pip is all a fresh machine needs besides Node.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { defaultCacheDir, describeFailure, installAtomically, run } from './tool-process.js';

/** The release installed when none is given; the fuzz test's options and report format are this release's. */
export const SCHEMATHESIS_VERSION = '4.32.5';

export class SchemathesisError extends Error {}

/** How to run schemathesis: `command` followed by `args`, then its own arguments. */
export type Schemathesis = { readonly command: string; readonly args: readonly string[]; readonly version: string };

export type ResolveSchemathesisOptions = {
  readonly logger: Logger;
  /** Where installs live, under `schemathesis/<version>/`; see {@link defaultCacheDir}. */
  readonly cacheDir?: string;
  readonly env?: NodeJS.ProcessEnv;
};

/** pip must never wait for an answer on a terminal nobody watches. */
const toolEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...env, PIP_NO_INPUT: '1' });

/** The virtualenv the cache keeps for `version`. */
export const cachedSchemathesisDir = (cacheDir: string, version = SCHEMATHESIS_VERSION): string => join(cacheDir, 'schemathesis', version);

/**
 * Through the virtualenv's python rather than its `bin/schemathesis` script: the script's
 * first line names the folder it was installed in, which the install renames.
 */
const inVirtualenv = (dir: string): Omit<Schemathesis, 'version'> => ({ command: join(dir, 'bin', 'python'), args: ['-m', 'schemathesis.cli'] });

/** Runs `--version`; answers the version, or throws naming what went wrong. */
export const schemathesisVersion = async (tool: Omit<Schemathesis, 'version'>, env: NodeJS.ProcessEnv = process.env): Promise<string> => {
  const shown = [tool.command, ...tool.args].join(' ');
  let stdout: string;
  try {
    ({ stdout } = await run(tool.command, [...tool.args, '--version'], { timeoutMs: 60_000, env: toolEnv(env) }));
  } catch (error) {
    throw new SchemathesisError(`${shown} --version failed: ${describeFailure(error)}`);
  }
  const line = stdout.trim().split('\n')[0] ?? '';
  const version = /, version (\S+)$/.exec(line)?.[1];
  if (!version) throw new SchemathesisError(`${shown} --version printed "${line}", not "schemathesis, version <x>": it is not schemathesis`);
  return version;
};

/**
 * Makes the virtualenv in a scratch folder next to the cache entry, installs the pinned
 * release with pip, checks that it runs, then renames the folder into place: a rename is
 * atomic, so a process racing this one sees no entry or a whole one, and of two racing
 * installs the second to finish uses the first's.
 */
const install = async (cacheDir: string, logger: Logger, env: NodeJS.ProcessEnv): Promise<Schemathesis> => {
  const target = cachedSchemathesisDir(cacheDir);
  const started = Date.now();
  const requirement = `schemathesis==${SCHEMATHESIS_VERSION}`;
  await installAtomically({
    base: join(cacheDir, 'schemathesis'),
    target,
    installed: () => existsSync(inVirtualenv(target).command),
    failure: (message) => new SchemathesisError(`cannot install schemathesis: ${message}`),
    // The virtualenv itself is what moves: its python finds its packages from where it is.
    build: async (scratch) => {
      logger.info({ requirement, cacheDir }, 'schemathesis not found: installing it from PyPI with pip into a virtualenv');
      try {
        await run('python3', ['-m', 'venv', scratch], { timeoutMs: 120_000, env: toolEnv(env) });
      } catch (error) {
        throw new SchemathesisError(
          `cannot install schemathesis: "python3 -m venv" failed (${describeFailure(error)}); ` +
            'install Python 3 with venv and pip (e.g. apt-get install -y python3-venv), or set SCHEMATHESIS_PATH',
        );
      }
      const python = inVirtualenv(scratch).command;
      try {
        await run(python, ['-m', 'pip', 'install', '--only-binary=:all:', '--disable-pip-version-check', '--quiet', requirement], {
          timeoutMs: 600_000,
          env: toolEnv(env),
        });
      } catch (error) {
        throw new SchemathesisError(
          `cannot install schemathesis: "pip install ${requirement}" failed (${describeFailure(error)}); check access to PyPI, or set SCHEMATHESIS_PATH`,
        );
      }
      await schemathesisVersion(inVirtualenv(scratch), env);
      return scratch;
    },
  });
  // The virtualenv's python finds its packages from where it now is: checked there.
  const version = await schemathesisVersion(inVirtualenv(target), env);
  logger.info({ path: target, version, totalMs: Date.now() - started }, 'schemathesis installed');
  return { ...inVirtualenv(target), version };
};

/**
 * A working schemathesis, looked for in this order: `SCHEMATHESIS_PATH` (which must run,
 * or this throws; another release than {@link SCHEMATHESIS_VERSION} is used with a
 * warning), the virtualenv in the cache, and else a fresh install into the cache (with
 * `python3` found on the `PATH` of `env`). `PATH` is not searched: the fuzz test is
 * written for the pinned release.
 */
export const resolveSchemathesis = async ({ logger, cacheDir, env = process.env }: ResolveSchemathesisOptions): Promise<Schemathesis> => {
  const explicit = env.SCHEMATHESIS_PATH;
  if (explicit) {
    const tool = { command: isAbsolute(explicit) ? explicit : resolve(explicit), args: [] };
    let version: string;
    try {
      version = await schemathesisVersion(tool, env);
    } catch (error) {
      throw new SchemathesisError(`SCHEMATHESIS_PATH=${explicit} is not a working schemathesis: ${(error as Error).message}`);
    }
    if (version !== SCHEMATHESIS_VERSION)
      logger.warn({ path: tool.command, version, expected: SCHEMATHESIS_VERSION }, 'SCHEMATHESIS_PATH is another release than the one pinned');
    logger.debug({ path: tool.command, version, source: 'SCHEMATHESIS_PATH' }, 'schemathesis');
    return { ...tool, version };
  }

  const cache = resolve(cacheDir ?? defaultCacheDir(env));
  const cached = cachedSchemathesisDir(cache);
  if (existsSync(cached)) {
    try {
      const version = await schemathesisVersion(inVirtualenv(cached), env);
      logger.debug({ path: cached, version, source: 'cache' }, 'schemathesis');
      return { ...inVirtualenv(cached), version };
    } catch (error) {
      logger.warn({ path: cached, problem: (error as Error).message }, 'the cached schemathesis does not run: installing it again');
      await rm(cached, { recursive: true, force: true });
    }
  }
  return install(cache, logger, env);
};
