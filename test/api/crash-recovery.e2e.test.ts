import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { adminKey } from './harness.js';

const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** The real entry point, as `npm start` runs it, in its own process. */
const serve = async (dataDir: string, port: number): Promise<ChildProcess> => {
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: { ...process.env, PORT: String(port), BOSUN_DATA_DIR: dataDir, BOSUN_ADMIN_KEY: adminKey, BOSUN_RATE_LIMIT: '1000000', LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  for (let i = 0; i < 300; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/ready`).then((r) => r.status, () => 0)) === 200) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('bosun did not become ready');
};

t.test('SIGKILL during concurrent submits loses no acknowledged task', { skip: !existsSync(cli) && 'dist/cli.js is missing: run `npm run build` (npm test does)' }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };

  const first = await serve(dataDir, port);
  const acknowledged: string[] = [];
  let killed = false;
  const submitter = async () => {
    while (!killed) {
      try {
        const response = await fetch(`${base}/api/v1/tasks`, { method: 'POST', headers, body: JSON.stringify({ kind: 'echo', input: { n: acknowledged.length } }) });
        if (response.status === 202) acknowledged.push(((await response.json()) as { id: string }).id);
      } catch {
        // the server died under this request: it was never acknowledged
      }
    }
  };
  const submitters = Array.from({ length: 16 }, submitter);
  while (acknowledged.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
  first.kill('SIGKILL');
  killed = true;
  await Promise.all(submitters);
  t.ok(acknowledged.length >= 300, `${acknowledged.length} submits were acknowledged before the kill`);

  const second = await serve(dataDir, port);
  t.teardown(() => void second.kill('SIGKILL'));
  const missing: string[] = [];
  for (const id of acknowledged) {
    const response = await fetch(`${base}/api/v1/tasks/${id}`, { headers });
    const task = (await response.json()) as { status?: string; revision?: number };
    if (response.status !== 200 || task.status !== 'pending' || task.revision !== 0) missing.push(id);
  }
  t.same(missing, [], 'every acknowledged task is there, whole, after restart');
});
