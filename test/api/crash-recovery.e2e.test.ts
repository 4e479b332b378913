import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { adminKey } from './harness.js';
import { freePort, missingBuild, serve, submitUntilKilled } from './process.js';

t.test('SIGKILL during concurrent submits loses no acknowledged task', { skip: missingBuild }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };

  const first = await serve(dataDir, port, { BOSUN_ADMIN_KEY: adminKey });
  const acknowledged = await submitUntilKilled(first, adminKey, 16, 300, () => first.child.kill('SIGKILL'));
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
