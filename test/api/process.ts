import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The built entry point, as `npm start` runs it. `npm test` builds it first. */
export const cli = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
export const missingBuild = !existsSync(cli) && 'dist/cli.js is missing: run `npm run build` (npm test does)';

export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

export type ServedBosun = { readonly child: ChildProcess; readonly base: string; readonly logLines: () => Record<string, unknown>[] };

/**
 * `bosun serve` in its own process on `port`, resolved once `readyPath` (/ready) answers 200.
 * `detached` puts it (and what it starts) in a process group of its own, which a test may kill whole.
 */
export const serve = async (
  dataDir: string,
  port: number,
  env: NodeJS.ProcessEnv = {},
  options: { detached?: boolean; readyPath?: string } = {},
): Promise<ServedBosun> => {
  const child = spawn(process.execPath, [cli, 'serve'], {
    detached: options.detached ?? false,
    // Embedded read side unless the test names engines: tests sharing a Kafka prefix or a database would see each other's read models.
    env: {
      ...process.env,
      PORT: String(port),
      BOSUN_DATA_DIR: dataDir,
      BOSUN_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      BOSUN_WORKFLOWS: 'off',
      KAFKA_BROKERS: '',
      MONGODB_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const base = `http://127.0.0.1:${port}`;
  // Says why Bosun exited or is not ready, with what it logged.
  const notReady = (why: string) => {
    child.kill('SIGKILL');
    return new Error(
      `bosun on port ${port} ${why}; its last log lines:\n${lines
        .slice(-10)
        .map((line) => JSON.stringify(line))
        .join('\n')}`,
    );
  };
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw notReady(`exited with ${child.exitCode ?? child.signalCode} before it was ready`);
    const status = await fetch(`${base}${options.readyPath ?? '/ready'}`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return { child, base, logLines: () => lines };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw notReady('did not become ready within 90 s');
};

export const stopped = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });

/**
 * Submits tasks to `bosun` from `writers` concurrent loops until `count` are acknowledged,
 * then kills it with `kill` while submits are in flight; answers the ids acknowledged.
 */
export const submitUntilKilled = async (bosun: ServedBosun, key: string, writers: number, count: number, kill: () => void): Promise<string[]> => {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const acknowledged: string[] = [];
  let killed = false;
  const submitter = async () => {
    while (!killed) {
      try {
        const response = await fetch(`${bosun.base}/api/v1/tasks`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ kind: 'echo', input: { n: acknowledged.length } }),
        });
        if (response.status === 202) acknowledged.push(((await response.json()) as { id: string }).id);
      } catch {
        // the server died under this request: it was never acknowledged
      }
    }
  };
  const submitters = Array.from({ length: writers }, submitter);
  while (acknowledged.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  kill();
  killed = true;
  await Promise.all(submitters);
  await stopped(bosun.child);
  return acknowledged;
};
