/**
 * Stopping `bosun serve` with its embedded Temporal dev server: a terminal's Ctrl-C (SIGINT
 * to the whole foreground process group) and a SIGTERM to Bosun alone both end in an
 * orderly stop. Bosun exits 0, the dev server is stopped once, by Bosun, never started
 * again, and is gone afterwards.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { adminKey } from '../api/harness.js';
import { freePort, missingBuild, serve, stopped } from '../api/process.js';
import { eventually } from './fleet-harness.js';
import { alive, apiAt, fleetEnv, scratch } from './resumption-harness.js';

// A cold cache installs the Temporal CLI first; a start takes seconds, a stop a few more.
t.setTimeout(240_000);

const stopsInOrder = async (t: Test, send: (bosun: { pid: number }) => void) => {
  const dataDir = scratch(t);
  const bosun = await serve(dataDir, await freePort(), fleetEnv({ LOG_LEVEL: 'info' }), { detached: true });
  t.teardown(() => {
    if (bosun.child.exitCode === null && bosun.child.signalCode === null) bosun.child.kill('SIGKILL');
  });
  const pidFile = join(dataDir, 'temporal', 'temporal.pid');
  const devServer = Number(readFileSync(pidFile, 'utf8').trim());
  t.teardown(() => {
    if (alive(devServer)) process.kill(devServer, 'SIGKILL');
  });
  t.ok(alive(devServer), 'the dev server runs, as its pid file says');
  // A request in flight, which the stop lets finish for a while (a long poll of a task no
  // agent runs): the dev server, were it signalled too, would exit meanwhile.
  const submitted = await apiAt(bosun.base)('POST', '/api/v1/tasks', { kind: 'echo', input: { message: 'never run' } });
  t.equal(submitted.status, 202, 'a task is submitted');
  const longPoll = fetch(`${bosun.base}/api/v1/tasks/${submitted.body.id as string}/result?wait_seconds=30`, {
    headers: { authorization: `Bearer ${adminKey}` },
  }).then(
    (response) => response.status,
    () => 0,
  );
  await sleep(500); // for the request to reach Bosun: it logs requests only once answered

  send({ pid: bosun.child.pid as number });
  await stopped(bosun.child);
  await longPoll;
  t.equal(bosun.child.exitCode, 0, 'bosun exits 0');
  const messages = bosun.logLines().map((line) => String(line.msg));
  t.notOk(
    messages.some((msg) => /unexpectedly|did not start again/.test(msg)),
    'no unexpected exit, no restart of the dev server',
  );
  t.equal(messages.filter((msg) => msg === 'temporal dev server started').length, 1, 'the dev server was started once');
  t.equal(messages.filter((msg) => msg === 'temporal dev server stopped').length, 1, 'and stopped once, by Bosun');
  t.notOk(
    messages.some((msg) => msg === 'temporal worker stopped'),
    'the worker drained without an error',
  );
  // Bosun waited for its exit; the check allows for the exit to be seen a moment later here.
  await eventually('the dev server gone', async () => !alive(devServer), 5_000);
  t.pass('the dev server process is gone');
  t.notOk(existsSync(pidFile), 'and so is its pid file');
  t.equal(bosun.logLines().filter((line) => Number(line.level) >= 50).length, 0, 'nothing logged at error level');
};

t.test('Ctrl-C in a terminal (SIGINT to the process group) stops Bosun and its dev server in order', { skip: missingBuild }, (t) =>
  stopsInOrder(t, ({ pid }) => process.kill(-pid, 'SIGINT')),
);

t.test('SIGTERM to Bosun alone stops it and its dev server in order', { skip: missingBuild }, (t) =>
  stopsInOrder(t, ({ pid }) => process.kill(pid, 'SIGTERM')),
);
