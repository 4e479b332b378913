/**
 * `bosun engines` without the engines: the files it renders, its settings and arguments,
 * the process helpers on harmless processes, and the installs driven by fake `mvn` and
 * `go` scripts (an install that fails leaves nothing that counts as installed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import t, { type Test } from 'tap';
import {
  assertPortFree,
  EngineError,
  firstUntraversable,
  processAlive,
  runLogged,
  spawnDetached,
  stopProcess,
  withLock,
} from '../../infra/engines/engine-process.js';
import { enginesSettings, formatStatus, parseEnginesArgs, renderEnvLines, type EngineStatus } from '../../infra/engines/engines.js';
import {
  FERRETDB_VERSION,
  ferretDbArgs,
  ferretDbInstallDir,
  installedFerretDb,
  installFerretDb,
  mongodbUrl,
  postgresUrl,
} from '../../infra/engines/ferretdb.js';
import {
  installedKafka,
  installKafka,
  KAFKA_VERSION,
  kafkaInstallDir,
  newClusterId,
  renderKafkaPom,
  renderLog4jProperties,
  renderServerProperties,
} from '../../infra/engines/kafka.js';
import { debianBinDirs, parsePostgresVersion, renderPostgresConf } from '../../infra/engines/postgres.js';

const logger = pino({ level: 'silent' });

const scratch = async (t: Test): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-engines-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

const properties = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

t.test('server.properties: one KRaft node on loopback, its data in the run folder', async (t) => {
  const props = properties(renderServerProperties({ dataDir: '/run/kafka/data', port: 19092, controllerPort: 19093 }));
  t.equal(props['process.roles'], 'broker,controller');
  t.equal(props['node.id'], '1');
  t.equal(props['controller.quorum.voters'], '1@127.0.0.1:19093');
  t.equal(props.listeners, 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093', 'listens on loopback only');
  t.equal(props['advertised.listeners'], 'PLAINTEXT://127.0.0.1:19092');
  t.equal(props['log.dirs'], '/run/kafka/data');
  for (const key of ['offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr'])
    t.equal(props[key], '1', key);
  t.equal(props['group.initial.rebalance.delay.ms'], '0');
  t.equal(props['num.partitions'], '3');
  t.equal(props['auto.create.topics.enable'], 'true');
  t.notMatch(Object.values(props).join(' '), /0\.0\.0\.0|localhost/, 'no other interface');
});

t.test('the pom resolves the broker and a logging binding; log4j writes a rolled file', async (t) => {
  const pom = renderKafkaPom();
  t.match(pom, new RegExp(`<artifactId>kafka_2\\.13</artifactId>\\s*<version>${KAFKA_VERSION.replaceAll('.', '\\.')}</version>`));
  t.match(pom, /<artifactId>slf4j-reload4j<\/artifactId>\s*<version>1\.7\.36<\/version>/, 'the binding matches the slf4j-api 1.7.36 kafka pulls');
  t.match(pom, /<packaging>pom<\/packaging>/);
  const log4j = properties(renderLog4jProperties('/run/kafka/kafka.log'));
  t.equal(log4j['log4j.appender.file'], 'org.apache.log4j.RollingFileAppender');
  t.equal(log4j['log4j.appender.file.File'], '/run/kafka/kafka.log');
});

t.test('a cluster id is 16 random bytes in base64url, as Kafka expects', async (t) => {
  const id = newClusterId();
  t.match(id, /^[A-Za-z0-9_-]{22}$/);
  t.equal(Buffer.from(id, 'base64url').length, 16);
  t.not(newClusterId(), id);
});

t.test('settings: defaults, overrides, refusals', async (t) => {
  const defaults = enginesSettings({});
  t.same(
    [defaults.kafkaPort, defaults.kafkaControllerPort, defaults.ferretdbPort, defaults.postgresPort],
    [19092, 19093, 27018, 15433],
    'fixed loopback ports clear of Bosun (8080) and Temporal (7233, 8233)',
  );
  t.match(defaults.runDir, /\.cache\/engines-run$/);
  t.match(defaults.cacheDir, /\.cache$/);
  t.same(defaults.kafkaHeapOptions, ['-Xms256m', '-Xmx512m']);

  const custom = enginesSettings({
    BOSUN_CACHE_DIR: '/c',
    BOSUN_ENGINES_DIR: 'relative/run',
    BOSUN_KAFKA_PORT: '29092',
    BOSUN_KAFKA_CONTROLLER_PORT: '29093',
    BOSUN_FERRETDB_PORT: '37017',
    BOSUN_POSTGRES_PORT: '25432',
    BOSUN_KAFKA_HEAP_OPTS: ' -Xmx1g  -Xms1g ',
  });
  t.equal(custom.cacheDir, '/c');
  t.equal(custom.runDir, resolve('relative/run'));
  t.same([custom.kafkaPort, custom.kafkaControllerPort, custom.ferretdbPort, custom.postgresPort], [29092, 29093, 37017, 25432]);
  t.same(custom.kafkaHeapOptions, ['-Xmx1g', '-Xms1g']);

  t.throws(() => enginesSettings({ BOSUN_KAFKA_PORT: 'x' }), /BOSUN_KAFKA_PORT=x is not a TCP port/);
  t.throws(() => enginesSettings({ BOSUN_POSTGRES_PORT: '70000' }), /BOSUN_POSTGRES_PORT=70000/);
  t.throws(() => enginesSettings({ BOSUN_FERRETDB_PORT: '19092' }), /BOSUN_KAFKA_PORT and BOSUN_FERRETDB_PORT are both 19092/);
});

t.test('arguments', async (t) => {
  t.equal(parseEnginesArgs(['up']), 'up');
  t.equal(parseEnginesArgs(['down']), 'down');
  t.equal(parseEnginesArgs(['status']), 'status');
  t.equal(parseEnginesArgs([]), 'help');
  t.equal(parseEnginesArgs(['--help']), 'help');
  t.throws(() => parseEnginesArgs(['start']), /unknown engines command "start"/);
  t.throws(() => parseEnginesArgs(['up', '--fast']), /takes no arguments/);
});

t.test("up's output sets both variables when a shell evaluates it", async (t) => {
  const lines = renderEnvLines({ kafkaBrokers: '127.0.0.1:19092', mongodbUrl: mongodbUrl('127.0.0.1:27018') });
  t.equal(lines, 'KAFKA_BROKERS=127.0.0.1:19092\nMONGODB_URL=mongodb://127.0.0.1:27018/\n');
  const shell = spawnSync('bash', ['-c', 'eval "$(cat)"; printf "%s|%s" "$KAFKA_BROKERS" "$MONGODB_URL"'], { input: lines, encoding: 'utf8' });
  t.equal(shell.stdout, '127.0.0.1:19092|mongodb://127.0.0.1:27018/');
});

t.test('postgres: its settings, its version, where its binaries are looked for', async (t) => {
  const conf = renderPostgresConf(15433);
  t.match(conf, /^listen_addresses = '127\.0\.0\.1'$/m);
  t.match(conf, /^port = 15433$/m);
  t.match(conf, /^unix_socket_directories = ''$/m, 'TCP only');
  t.equal(parsePostgresVersion('postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n'), '15.18');
  t.equal(parsePostgresVersion('postgres (PostgreSQL) 17beta1'), '17');
  t.equal(parsePostgresVersion('something else'), null);
  t.same(debianBinDirs(['9', '15', '16', 'README']), ['/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/9/bin']);
});

t.test("ferretdb's command line", async (t) => {
  const args = ferretDbArgs({ port: 27018, postgresPort: 15433, stateDir: '/run/ferretdb/state' });
  t.ok(args.includes('--handler=postgresql'));
  t.ok(args.includes(`--postgresql-url=${postgresUrl(15433)}`));
  t.equal(postgresUrl(15433), 'postgres://postgres@127.0.0.1:15433/ferretdb');
  t.ok(args.includes('--listen-addr=127.0.0.1:27018'), 'loopback only');
  t.ok(args.includes('--state-dir=/run/ferretdb/state'));
  t.ok(args.includes('--telemetry=disable'), 'no telemetry');
  t.ok(args.includes('--debug-addr=-'), 'no debug listener');
});

t.test('status lines name version, place, pid and address', async (t) => {
  const statuses: EngineStatus[] = [
    {
      engine: 'kafka',
      installed: { version: '3.9.1', path: '/c/engines/kafka/3.9.1' },
      running: { pid: 42, address: '127.0.0.1:19092' },
      dir: '/r/kafka',
      installPath: '/c/engines/kafka/3.9.1',
    },
    { engine: 'postgres', installed: null, running: null, dir: '/r/postgres', installPath: 'apt-get install postgresql' },
    { engine: 'ferretdb', installed: null, running: null, dir: '/r/ferretdb', installPath: '/c/engines/ferretdb/v1.24.2' },
  ];
  const lines = formatStatus(statuses).trimEnd().split('\n');
  t.equal(lines.length, 3);
  t.match(lines[0], /^kafka +3\.9\.1 installed \(\/c\/engines\/kafka\/3\.9\.1\); running: pid 42 on 127\.0\.0\.1:19092; data and logs in \/r\/kafka$/);
  t.match(lines[1], /^postgres +not installed .*not running/);
  t.match(lines[2], /^ferretdb +not installed \(up installs v1\.24\.2: \/c\/engines\/ferretdb\/v1\.24\.2\); not running/);
});

t.test('a port in use is refused, naming the process that holds it', async (t) => {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  t.teardown(() => new Promise<void>((done) => server.close(() => done())));
  const { port } = server.address() as AddressInfo;
  await t.rejects(
    assertPortFree(port, 'kafka', 'BOSUN_KAFKA_PORT'),
    new RegExp(
      `kafka cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use by process ${process.pid} \\(.*node.*\\); stop that or set BOSUN_KAFKA_PORT`,
    ),
  );
  await new Promise<void>((done) => server.close(() => done()));
  await t.resolves(assertPortFree(port, 'kafka', 'BOSUN_KAFKA_PORT'), 'free once closed');
});

t.test('a detached process is told apart by its command line, and stopped', async (t) => {
  const dir = await scratch(t);
  const marker = `bosun-engines-test-${process.pid}`;
  const child = spawnDetached('sleeper', 'sh', ['-c', `sleep 60 # ${marker}`], { cwd: dir, logFile: join(dir, 'out.log') });
  child.release();
  t.teardown(() => {
    if (processAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
  });
  t.ok(processAlive(child.pid, marker), 'alive, with its marker');
  t.notOk(processAlive(child.pid, 'some-other-marker'), 'a pid running something else is not ours');
  await stopProcess(child.pid, 'sleeper', 5_000, logger);
  t.notOk(processAlive(child.pid), 'stopped');
});

t.test('a detached process that exits at once rejects `failed`', async (t) => {
  const dir = await scratch(t);
  const child = spawnDetached('quitter', 'sh', ['-c', 'echo bad config >&2; exit 3'], { cwd: dir, logFile: join(dir, 'out.log') });
  await t.rejects(child.failed, /quitter exited with 3 before it answered/);
  t.match(await readFile(join(dir, 'out.log'), 'utf8'), /bad config/, 'its output is in its log file');
  child.release();
});

t.test('runLogged names the tool and the end of its log when it fails', async (t) => {
  const dir = await scratch(t);
  await t.rejects(
    runLogged('building something', 'sh', ['-c', 'echo step one; echo it broke >&2; exit 2'], { timeoutMs: 10_000, logFile: join(dir, 'build.log'), logger }),
    /building something failed \(sh exit code 2\)\n--- .*build\.log ---\nstep one\nit broke/,
  );
});

t.test('the lock: bodies take turns; a dead holder is taken over', async (t) => {
  const dir = await scratch(t);
  const events: string[] = [];
  const body = (name: string) => async () => {
    events.push(`${name} in`);
    await sleep(100);
    events.push(`${name} out`);
  };
  await Promise.all([withLock(dir, logger, body('a')), withLock(dir, logger, body('b'))]);
  t.same(events, ['a in', 'a out', 'b in', 'b out'], 'no overlap');
  t.notOk(existsSync(join(dir, 'engines.lock')), 'released');

  // a lock left by a process that is gone (pid 2^22 + 1 is above Linux's pid_max)
  await writeFile(join(dir, 'engines.lock'), '4194305\n');
  t.equal(await withLock(dir, logger, async () => 'ran', 5_000), 'ran');
});

t.test('a folder the postgres user cannot enter is named', async (t) => {
  const dir = await scratch(t);
  await chmod(dir, 0o755);
  t.same(await firstUntraversable(dir, 4_000_000, 4_000_000), null, 'the folders above can be entered (as /tmp can)');
  const closed = join(dir, 'closed');
  await mkdir(join(closed, 'inner'), { recursive: true });
  await chmod(closed, 0o700);
  const stranger = 4_000_000;
  const blocked = await firstUntraversable(join(closed, 'inner'), stranger, stranger);
  if (process.getuid?.() === undefined) return;
  t.same(blocked, { dir: closed, mode: '700' });
  t.equal(await firstUntraversable(join(closed, 'inner'), 0, 0), null, 'root enters anything');
});

/** A folder of fake tools put first on PATH. */
const fakeTools = async (dir: string, tools: Record<string, string>): Promise<NodeJS.ProcessEnv> => {
  const bin = join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  for (const [name, body] of Object.entries(tools)) {
    await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
    await chmod(join(bin, name), 0o755);
  }
  return { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: dir };
};

const fakeMvn = (fail: boolean) =>
  fail
    ? 'echo "[ERROR] Failed to execute goal: Could not resolve dependencies for project dev.bosun.engines:kafka-broker" >&2; exit 1'
    : `for arg in "$@"; do case "$arg" in -DoutputDirectory=*) out="\${arg#-DoutputDirectory=}";; esac; done
mkdir -p "$out" && touch "$out/kafka_2.13-${KAFKA_VERSION}.jar" "$out/slf4j-reload4j-1.7.36.jar" "$out/kafka-clients-${KAFKA_VERSION}.jar"`;

t.test('kafka install: complete or nothing, once', async (t) => {
  const dir = await scratch(t);
  const cacheDir = join(dir, 'cache');
  const failing = await fakeTools(join(dir, 'failing'), { mvn: fakeMvn(true) });
  await t.rejects(
    installKafka(cacheDir, logger, failing),
    /downloading the kafka jars with Maven failed \(.*exit code 1\)[\s\S]*Could not resolve dependencies/,
  );
  t.equal(installedKafka(cacheDir), null, 'a failed install is not installed');
  t.same(await readdir(join(cacheDir, 'engines', 'kafka')), [], 'and leaves no scratch folder');

  const working = await fakeTools(join(dir, 'working'), { mvn: fakeMvn(false) });
  const install = await installKafka(cacheDir, logger, working);
  t.equal(install.dir, kafkaInstallDir(cacheDir));
  t.equal(install.classpath, `${join(kafkaInstallDir(cacheDir), 'libs')}/*`);
  t.match(JSON.parse(await readFile(join(install.dir, 'install.json'), 'utf8')), { engine: 'kafka', version: KAFKA_VERSION, jars: 3 });
  // installed: mvn is not run again (the failing one would throw)
  t.same(await installKafka(cacheDir, logger, failing), install, 'a second install finds the first');
});

const fakeGo = (moduleDir: string, failBuild: boolean) => `case "$1 $2" in
  "mod download") printf '{"Path":"github.com/FerretDB/FerretDB","Version":"${FERRETDB_VERSION}","Dir":"%s"}' "${moduleDir}";;
  "build -tags")
    ${failBuild ? 'echo "internal/foo.go:1: syntax error" >&2; exit 1' : ''}
    while [ "$1" != "-o" ]; do shift; done
    printf '#!/bin/sh\\necho "version: %s"\\n' "$(cat build/version/version.txt)" > "$2"; chmod +x "$2";;
  *) echo "unexpected go $*" >&2; exit 9;;
esac`;

t.test('ferretdb install: writes the version file, checks the binary, complete or nothing', async (t) => {
  const dir = await scratch(t);
  const cacheDir = join(dir, 'cache');
  // a module as the module cache holds it: read-only
  const moduleDir = join(dir, 'mod', 'ferretdb@v1.24.2');
  await mkdir(join(moduleDir, 'build', 'version'), { recursive: true });
  await mkdir(join(moduleDir, 'cmd', 'ferretdb'), { recursive: true });
  await writeFile(join(moduleDir, 'build', 'version', 'mongodb.txt'), '7.0.77\n');
  spawnSync('chmod', ['-R', 'a-w', moduleDir]);
  t.teardown(() => spawnSync('chmod', ['-R', 'u+w', join(dir, 'mod')]));

  const failing = await fakeTools(join(dir, 'failing'), { go: fakeGo(moduleDir, true) });
  await t.rejects(installFerretDb(cacheDir, logger, failing), /building ferretdb failed \(.*exit code 1\)[\s\S]*syntax error/);
  t.equal(installedFerretDb(cacheDir), null, 'a failed build is not installed');
  t.same(await readdir(join(cacheDir, 'engines', 'ferretdb')), [], 'and leaves no scratch folder');

  const working = await fakeTools(join(dir, 'working'), { go: fakeGo(moduleDir, false) });
  const install = await installFerretDb(cacheDir, logger, working);
  t.equal(install.binary, join(ferretDbInstallDir(cacheDir), 'ferretdb'));
  t.equal(spawnSync(install.binary, ['--version'], { encoding: 'utf8' }).stdout.trim(), `version: ${FERRETDB_VERSION}`, 'built with the version file written');
  t.same(await installFerretDb(cacheDir, logger, failing), install, 'a second install finds the first');
  t.type(EngineError, 'function');
});
