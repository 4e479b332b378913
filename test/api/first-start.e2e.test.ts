import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { freePort, missingBuild, serve, stopped } from './process.js';

const generatedKeys = (lines: Record<string, unknown>[]) => lines.filter((line) => typeof line.admin_key === 'string').map((line) => line.admin_key as string);

t.test('first start without BOSUN_ADMIN_KEY prints a generated admin key once', { skip: missingBuild }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-first-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();

  const first = await serve(dataDir, port, { BOSUN_ADMIN_KEY: '' });
  const keys = generatedKeys(first.logLines());
  t.equal(keys.length, 1, 'one key was printed');
  const team = await fetch(`${first.base}/api/v1/team`, { headers: { authorization: `Bearer ${keys[0]}` } });
  t.equal(team.status, 200);
  t.match(await team.json(), { name: 'default', system: true });
  first.child.kill('SIGTERM');
  await stopped(first.child);

  const second = await serve(dataDir, port, { BOSUN_ADMIN_KEY: 'ignored-after-first-start-0000' });
  t.teardown(() => void second.child.kill('SIGKILL'));
  t.same(generatedKeys(second.logLines()), [], 'a restart prints no key');
  const again = await fetch(`${second.base}/api/v1/team`, { headers: { authorization: `Bearer ${keys[0]}` } });
  t.equal(again.status, 200, 'the first key still works');
  const ignored = await fetch(`${second.base}/api/v1/team`, { headers: { authorization: 'Bearer ignored-after-first-start-0000' } });
  t.equal(ignored.status, 401, 'BOSUN_ADMIN_KEY only counts on the first start');
});

t.test('first start with BOSUN_ADMIN_KEY makes it the admin key', { skip: missingBuild }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-first-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const served = await serve(dataDir, await freePort(), { BOSUN_ADMIN_KEY: 'my-chosen-admin-key-123' });
  t.teardown(() => void served.child.kill('SIGKILL'));
  t.same(generatedKeys(served.logLines()), [], 'nothing secret is printed');
  const team = await fetch(`${served.base}/api/v1/team`, { headers: { authorization: 'Bearer my-chosen-admin-key-123' } });
  t.equal(team.status, 200);
});

t.test('given a workflow engine that cannot be reached, when Bosun starts, then it logs why and exits with status 1', { skip: missingBuild }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-first-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const unreachable = `127.0.0.1:${await freePort()}`;
  const error = await serve(dataDir, await freePort(), { BOSUN_WORKFLOWS: 'on', TEMPORAL_ADDRESS: unreachable }).then(
    () => null,
    (error: Error) => error,
  );
  t.match(error?.message, /exited with 1 before it was ready/, 'it stops instead of answering 503 for ever');
  t.match(error?.message, new RegExp(unreachable), 'the log names the address it could not reach');
});
