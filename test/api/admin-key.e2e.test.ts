/**
 * `bosun admin-key create`, the way back from a lost first admin key: run on the data
 * directory of a stopped Bosun, it issues a key of the system team that the next start
 * accepts, recorded with the CLI as its actor. While Bosun runs it refuses and writes nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cli, freePort, missingBuild, serve, stopped } from './process.js';

type Run = { readonly code: number; readonly stdout: string; readonly stderr: string };

const adminKeyCreate = (dataDir: string, ...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, 'admin-key', 'create', ...args],
      { env: { ...process.env, BOSUN_DATA_DIR: dataDir, EVENTSTORE_URL: '', LOG_LEVEL: 'info' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

t.test('a lost admin key: a new one, created on the data directory of the stopped server, works after the next start', { skip: missingBuild }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-admin-key-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();

  // The first start shows its generated key in the log; the operator is taken to have lost it.
  const first = await serve(dataDir, port, { BOSUN_ADMIN_KEY: '' });
  const running = await adminKeyCreate(dataDir);
  t.equal(running.code, 1, 'refused while Bosun runs on the data directory');
  t.equal(running.stdout, '', 'no key printed');
  t.match(running.stderr, /Bosun is running on this data directory: stop it/, 'the operator is told to stop Bosun first');
  first.child.kill('SIGTERM');
  await stopped(first.child);
  t.equal(first.child.exitCode, 0);

  const created = await adminKeyCreate(dataDir, '--name', 'recovered');
  t.equal(created.code, 0, 'created');
  const issued = JSON.parse(created.stdout) as { object: string; id: string; team_id: string; name: string; role: string; key: string };
  t.match(issued, { object: 'api_key', name: 'recovered', role: 'admin', key: /^bsn_/ }, 'stdout is the key, as JSON');
  t.notOk(created.stderr.includes(issued.key), 'the secret is not in the log');

  const second = await serve(dataDir, port);
  t.teardown(() => void second.child.kill('SIGKILL'));
  const team = await fetch(`${second.base}/api/v1/team`, { headers: bearer(issued.key) });
  t.match(await team.json(), { id: issued.team_id, system: true }, 'the key belongs to the system team');
  const newTeam = await fetch(`${second.base}/api/v1/teams`, {
    method: 'POST',
    headers: { ...bearer(issued.key), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'made-with-the-recovered-key' }),
  });
  t.equal(newTeam.status, 201, 'it may do what only an admin of the system team may: create a team');

  const events = (await (await fetch(`${second.base}/api/v1/events`, { headers: bearer(issued.key) })).text())
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { type: string; data: { key_id?: string }; metadata: { actor: unknown } });
  const issue = events.filter((event) => event.type === 'team.api_key_issued' && event.data.key_id === issued.id);
  t.equal(issue.length, 1, 'one event issued it, the refused run wrote none');
  t.same(issue[0]?.metadata.actor, { type: 'system', id: 'cli' }, 'recorded with the CLI as its actor, for the audit');
});

t.test('admin-key create on a data directory Bosun never served refuses', { skip: missingBuild }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-admin-key-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = await adminKeyCreate(join(dataDir, 'never-served'));
  t.equal(run.code, 1);
  t.equal(run.stdout, '');
  t.match(run.stderr, /no event store in the data directory/);
});
