/**
 * Resolving and installing schemathesis without the network: fake `python3` scripts stand
 * for the machine's Python, its venv module and pip.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { cachedSchemathesisDir, resolveSchemathesis, SCHEMATHESIS_VERSION, SchemathesisError } from '../../infra/schemathesis.js';

const logger = pino({ level: 'silent' });

const script = async (path: string, body: string): Promise<string> => {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
};

/** A virtualenv's python whose `-m schemathesis.cli --version` answers like the real one. */
const venvPython = (version = SCHEMATHESIS_VERSION) =>
  `if [ "$1 $2 $3" = "-m schemathesis.cli --version" ]; then echo "python -m schemathesis.cli, version ${version}"; exit 0; fi\n` +
  'if [ "$1 $2 $3" = "-m pip install" ]; then exit 0; fi\nexit 9';

/** A python3 whose `-m venv DIR` makes DIR/bin/python from `python` (shell lines); PATH has only it, hence the full paths. */
const fakePython3 = (dir: string, python: string) =>
  script(
    join(dir, 'python3'),
    `if [ "$1 $2" != "-m venv" ]; then exit 9; fi\n/bin/mkdir -p "$3/bin"\n/bin/cat > "$3/bin/python" <<'EOF'\n#!/bin/sh\n${python}\nEOF\n/bin/chmod 755 "$3/bin/python"`,
  );

const scratch = async (t: Test): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-schemathesis-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

t.test('SCHEMATHESIS_PATH wins over the cache; then the cache', async (t) => {
  const dir = await scratch(t);
  const cacheDir = join(dir, 'cache');
  const cached = cachedSchemathesisDir(cacheDir);
  await script(join(cached, 'bin', 'python'), venvPython());
  const explicit = await script(join(dir, 'schemathesis'), `echo "schemathesis, version ${SCHEMATHESIS_VERSION}"`);
  const nothing = join(dir, 'empty-bin');

  t.same(await resolveSchemathesis({ logger, cacheDir, env: { SCHEMATHESIS_PATH: explicit, PATH: nothing } }), {
    command: explicit,
    args: [],
    version: SCHEMATHESIS_VERSION,
  });
  t.same(await resolveSchemathesis({ logger, env: { PATH: nothing, BOSUN_CACHE_DIR: cacheDir } }), {
    command: join(cached, 'bin', 'python'),
    args: ['-m', 'schemathesis.cli'],
    version: SCHEMATHESIS_VERSION,
  });
});

t.test('a SCHEMATHESIS_PATH that does not run, or is not schemathesis, is a clear error', async (t) => {
  const dir = await scratch(t);
  const failing = await script(join(dir, 'failing'), 'echo "ModuleNotFoundError: No module named hypothesis" >&2; exit 1');
  await t.rejects(resolveSchemathesis({ logger, env: { SCHEMATHESIS_PATH: failing } }), {
    constructor: SchemathesisError,
    message: /^SCHEMATHESIS_PATH=.*failing is not a working schemathesis: .*--version failed: exit code 1: ModuleNotFoundError/,
  });
  await t.rejects(resolveSchemathesis({ logger, env: { SCHEMATHESIS_PATH: join(dir, 'nowhere') } }), { message: /--version failed: not found/ });
  const impostor = await script(join(dir, 'impostor'), 'echo "v1.0.0"');
  await t.rejects(resolveSchemathesis({ logger, env: { SCHEMATHESIS_PATH: impostor } }), { message: /printed "v1.0.0", not "schemathesis, version <x>"/ });
});

t.test('installing makes the virtualenv aside and renames it into place', async (t) => {
  const dir = await scratch(t);
  const cacheDir = join(dir, 'cache');
  await fakePython3(join(dir, 'bin'), venvPython());
  const found = await resolveSchemathesis({ logger, cacheDir, env: { PATH: join(dir, 'bin') } });
  t.same(found, { command: join(cachedSchemathesisDir(cacheDir), 'bin', 'python'), args: ['-m', 'schemathesis.cli'], version: SCHEMATHESIS_VERSION });
  t.same(await readdir(join(cacheDir, 'schemathesis')), [SCHEMATHESIS_VERSION], 'no scratch folder is left');
});

t.test('a cached install that does not run is installed again', async (t) => {
  const dir = await scratch(t);
  const cacheDir = join(dir, 'cache');
  await script(join(cachedSchemathesisDir(cacheDir), 'bin', 'python'), 'exit 1');
  await fakePython3(join(dir, 'bin'), venvPython());
  t.equal((await resolveSchemathesis({ logger, cacheDir, env: { PATH: join(dir, 'bin') } })).version, SCHEMATHESIS_VERSION);
});

t.test('installing names what failed: no python3, no venv, pip failing; and leaves nothing half-installed', async (t) => {
  const dir = await scratch(t);
  const cacheDir = join(dir, 'cache');
  await t.rejects(resolveSchemathesis({ logger, cacheDir, env: { PATH: join(dir, 'no-python') } }), {
    constructor: SchemathesisError,
    message: /"python3 -m venv" failed \(not found\); install Python 3 with venv and pip/,
  });

  await script(join(dir, 'no-venv', 'python3'), 'echo "The virtual environment was not created successfully because ensurepip is not available." >&2; exit 1');
  await t.rejects(resolveSchemathesis({ logger, cacheDir, env: { PATH: join(dir, 'no-venv') } }), {
    message:
      /"python3 -m venv" failed \(exit code 1: .*ensurepip is not available\.\); install Python 3 with venv and pip \(e\.g\. apt-get install -y python3-venv\)/,
  });

  await fakePython3(join(dir, 'offline'), `echo "ERROR: No matching distribution found for schemathesis==${SCHEMATHESIS_VERSION}" >&2; exit 1`);
  await t.rejects(resolveSchemathesis({ logger, cacheDir, env: { PATH: join(dir, 'offline') } }), {
    message:
      /"pip install schemathesis==[\d.]+" failed \(exit code 1: ERROR: No matching distribution found .*\); check access to PyPI, or set SCHEMATHESIS_PATH/,
  });
  t.notOk(existsSync(cachedSchemathesisDir(cacheDir)), 'nothing is in the cache');
  t.same(await readdir(join(cacheDir, 'schemathesis')), [], 'nor any scratch folder');
});
