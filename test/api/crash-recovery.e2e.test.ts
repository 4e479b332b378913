import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { adminKey } from './harness.js';
import { freePort, missingBuild, serve, stopped } from './process.js';

t.test('SIGKILL during concurrent submits loses no acknowledged task', { skip: missingBuild }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };

  const first = await serve(dataDir, port, { BOSUN_ADMIN_KEY: adminKey });
  const acknowledged: string[] = [];
  let killed = false;
  const submitter = async () => {
    while (!killed) {
      try {
        const response = await fetch(`${first.base}/api/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ kind: 'echo', input: { n: acknowledged.length } }) });
        if (response.status === 202) acknowledged.push(((await response.json()) as { id: string }).id);
      } catch {
        // the server died under this request: it was never acknowledged
      }
    }
  };
  const submitters = Array.from({ length: 16 }, submitter);
  while (acknowledged.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
  first.child.kill('SIGKILL');
  killed = true;
  await Promise.all(submitters);
  await stopped(first.child);
  t.ok(acknowledged.length >= 300, `${acknowledged.length} submits were acknowledged before the kill`);

  const second = await serve(dataDir, port);
  t.teardown(() => void second.child.kill('SIGKILL'));
  const missing: string[] = [];
  for (const id of acknowledged) {
    const response = await fetch(`${second.base}/api/v1/tasks/${id}`, { headers });
    const task = (await response.json()) as { status?: string; revision?: number };
    if (response.status !== 200 || task.status !== 'pending' || task.revision !== 0) missing.push(id);
  }
  t.same(missing, [], 'every acknowledged task is there, whole, after restart');
});
