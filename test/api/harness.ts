import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../infra/config.js';
import { startBosun, type Bosun } from '../../main.js';

export const adminKey = 'test-admin-key-0123456789';

export type Call = {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
};

export type TestBosun = {
  readonly bosun: Bosun;
  readonly dataDir: string;
  /** Calls the API as `key` (the admin key by default). */
  readonly call: (
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; headers?: Record<string, string>; key?: string | null },
  ) => Promise<Call>;
  readonly stop: () => Promise<void>;
};

/** Bosun on its embedded defaults in a fresh data directory, on a free port. */
export const startTestBosun = async (overrides: Partial<Config> = {}, dataDir = mkdtempSync(join(tmpdir(), 'bosun-test-'))): Promise<TestBosun> => {
  const bosun = await startBosun({
    ...loadConfig({}),
    port: 0,
    dataDir,
    adminKey,
    logLevel: 'silent',
    workflows: 'off',
    rateLimitPerSecond: 100_000,
    // Alert rules evaluated often, so a test sees their alerts soon.
    alertEvaluationMs: 100,
    ...overrides,
  });
  await bosun.ready;
  const call: TestBosun['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? adminKey : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${bosun.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  };
  return {
    bosun,
    dataDir,
    call,
    stop: async () => {
      await bosun.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

/** A second team with its own admin key, for isolation tests. */
export const createOtherTeam = async (app: TestBosun, name = 'other'): Promise<string> => {
  const created = await app.call('POST', '/api/v1/teams', { body: { name } });
  if (created.status !== 201) throw new Error(`team not created: ${JSON.stringify(created.body)}`);
  return created.body.admin_key.key as string;
};
