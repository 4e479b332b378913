/** A server under measurement, run as a child process of the benchmark so it has its own event loop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

export type ServerProcess = {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it has exited. */
  readonly stop: (graceMs?: number) => Promise<void>;
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
    probe.once('error', reject);
  });

const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

const exitWithin = async (child: ChildProcess, ms: number): Promise<boolean> => {
  if (hasExited(child)) return true;
  const timeout = new Promise<false>((resolve) => setTimeout(resolve, ms, false).unref());
  return Promise.race([once(child, 'exit').then(() => true), timeout]);
};

/** With BENCH_CPU_PROF_DIR set, the server measured writes a CPU profile there when it stops. */
export const cpuProfiling: readonly string[] = process.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF_DIR] : [];

export type StartServerOptions = {
  /** `stderr` passes the server's logs on to the benchmark's stderr; stdout carries only figures. @defaultValue 'ignore' */
  readonly stdout?: 'ignore' | 'stderr';
  /** @defaultValue 60_000 */
  readonly readyTimeoutMs?: number;
  /** Options for the server's node, before the script: `--cpu-prof`, say. */
  readonly nodeOptions?: readonly string[];
};

/** Starts a server script on a free port (`PORT`) and resolves once `readyPath` answers 200. */
export const startServer = async (
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  readyPath: string,
  options: StartServerOptions = {},
): Promise<ServerProcess> => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...(options.nodeOptions ?? []), script, ...args], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', options.stdout === 'stderr' ? 2 : 'ignore', 'inherit'],
  });
  const stop = async (graceMs = 30_000) => {
    if (hasExited(child)) return;
    child.kill('SIGTERM');
    if (await exitWithin(child, graceMs)) return;
    child.kill('SIGKILL');
    await exitWithin(child, 5_000);
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (hasExited(child)) throw new Error(`${script} exited with ${child.exitCode ?? child.signalCode}`);
    const ok = await fetch(`${url}${readyPath}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, child, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop(5_000);
  throw new Error(`${script} was not ready within ${options.readyTimeoutMs ?? 60_000} ms`);
};

/**
 * Starts Bosun once on `env` so it creates the system team, and stops it: the team's id is
 * what a benchmark seeds its events under before the measured start.
 */
export const systemTeamOf = async (cli: string, env: NodeJS.ProcessEnv, adminKey: string): Promise<string> => {
  const server = await startServer(cli, ['serve'], env, '/ready', { readyTimeoutMs: 120_000 });
  try {
    const team = (await (await fetch(`${server.url}/api/v1/team`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { id: string };
    return team.id;
  } finally {
    await server.stop();
  }
};
