/**
 * POST /api/v1/tasks at 64 connections against Bosun on its embedded defaults, and in the
 * same run against bare Koa answering the same JSON. Each server runs in its own process
 * so the load generator does not share its event loop.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const adminKey = 'bench-admin-key-0123456789';

type Server = { url: string; child: ChildProcess };

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });

/** Starts a server script on a free port and resolves once `readyPath` answers 200. */
const startServer = async (script: string, args: string[], env: NodeJS.ProcessEnv, readyPath: string): Promise<Server> => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    const ok = await fetch(`${url}${readyPath}`).then((r) => r.ok, () => false);
    if (ok) return { url, child };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} was not ready within 60 s`);
};

const load = (url: string, seconds: number) =>
  autocannon({
    url: `${url}/api/v1/tasks`,
    method: 'POST',
    connections: 64,
    duration: seconds,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'echo', input: { message: 'hello' } }),
  });

const summarise = (result: autocannon.Result) => ({
  requests_per_s: Math.round(result.requests.average),
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  non_2xx: result.non2xx,
  errors: result.errors,
});

export const benchHttp = async (seconds = 10) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-bench-http-'));
  const bosun = await startServer(
    join(here, '..', 'cli.js'),
    ['serve'],
    { BOSUN_DATA_DIR: dataDir, BOSUN_ADMIN_KEY: adminKey, BOSUN_RATE_LIMIT: '10000000', LOG_LEVEL: 'warn' },
    '/ready',
  );
  const bare = await startServer(join(here, 'bare-koa.js'), [], {}, '/');
  try {
    await load(bosun.url, 2); // warm-up: JIT and first allocations
    const bosunResult = summarise(await load(bosun.url, seconds));
    await load(bare.url, 2);
    const bareResult = summarise(await load(bare.url, seconds));
    return {
      bosun_submit: bosunResult,
      bare_koa: bareResult,
      submit_vs_bare: Number((bosunResult.requests_per_s / bareResult.requests_per_s).toFixed(2)),
    };
  } finally {
    bosun.child.kill('SIGTERM');
    bare.child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
};
