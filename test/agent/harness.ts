import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { runAgent } from '../../agent/runtime.js';
import { createLogger } from '../../infra/logger.js';
import { FakeBosun } from './fake-bosun.js';

export const silentLogger = createLogger('silent');
/** Retries fast enough for tests. */
export const quickRetry = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 };

export const baseConfig = {
  runtime_version: '1.0.0',
  skills: [{ name: 'git', version: '2.1.0', enabled: true }],
  settings: { allow_shell: false, log_level: 'info' },
};

/** A fresh agent directory, removed when the test ends; `config` becomes its agent-config.json. */
export const agentDir = async (t: Test, config: object | null = baseConfig): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'bosun-agent-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  if (config) await writeFile(join(dir, 'agent-config.json'), JSON.stringify(config));
  return dir;
};

export const startFakeBosun = async (t: Test): Promise<FakeBosun> => {
  const fake = await FakeBosun.start();
  t.teardown(() => fake.close());
  return fake;
};

export type TestAgent = {
  /** Settles as runAgent does. */
  readonly done: Promise<void>;
  /** Stops the agent as SIGTERM would, and waits for it. */
  readonly stop: () => Promise<void>;
};

export const startAgent = (t: Test, fake: FakeBosun, dir: string, registrationToken: string | undefined = fake.issueToken()): TestAgent => {
  const controller = new AbortController();
  const done = runAgent({ url: fake.url, dir, registrationToken, logger: silentLogger, signal: controller.signal, retry: quickRetry });
  // Never leave an agent running past its test, even one that failed.
  t.teardown(async () => {
    controller.abort();
    await done.catch(() => undefined);
  });
  return {
    done,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
};

/** A local port nothing listens on (it did a moment ago). */
export const closedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
