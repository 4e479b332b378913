/**
 * POST /api/v1/tasks at 64 connections against Bosun (on its embedded defaults, or on
 * Kafka and MongoDB when KAFKA_BROKERS and MONGODB_URL are set), and in the same run
 * against bare Koa answering the same JSON. Each server runs in its own process
 * so the load generator does not share its event loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { isolatedEngines } from './engines.js';
import { pairedRatio, summarise, windowOf, type Window } from './load.js';
import { startServer } from './server-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const adminKey = 'bench-admin-key-0123456789';

const load = (url: string, seconds: number) =>
  autocannon({
    url: `${url}/api/v1/tasks`,
    method: 'POST',
    connections: 64,
    duration: seconds,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'echo', input: { message: 'hello' } }),
  });

const measure = async (url: string, seconds: number): Promise<Window> => windowOf(await load(url, seconds));

/**
 * Bosun and bare Koa are loaded in alternating windows, and the ratio is the median of
 * each pair's ratio: on a shared machine whose speed drifts, back-to-back long runs
 * compared two different machines (bare Koa alone moved between 21k and 36k req/s).
 */
export const benchHttp = async (seconds = 20, rounds = 5) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-bench-http-'));
  const engines = isolatedEngines();
  const bosun = await startServer(
    join(here, '..', 'cli.js'),
    ['serve'],
    { BOSUN_DATA_DIR: dataDir, BOSUN_ADMIN_KEY: adminKey, BOSUN_RATE_LIMIT: '10000000', LOG_LEVEL: 'warn', BOSUN_WORKFLOWS: 'off', ...engines.env },
    '/ready',
  );
  const bare = await startServer(join(here, 'bare-koa.js'), [], {}, '/');
  try {
    // Warm-up: JIT and first allocations.
    await load(bosun.url, 2);
    await load(bare.url, 2);
    const window = Math.max(1, Math.round(seconds / rounds));
    const bosunWindows: Window[] = [];
    const bareWindows: Window[] = [];
    for (let round = 0; round < rounds; round++) {
      bosunWindows.push(await measure(bosun.url, window));
      bareWindows.push(await measure(bare.url, window));
    }
    return {
      windows: rounds,
      window_s: window,
      bosun_submit: summarise(bosunWindows),
      bare_koa: summarise(bareWindows),
      submit_vs_bare: pairedRatio(bosunWindows, bareWindows),
      submit_vs_bare_per_window: bosunWindows.map((w, i) => Number((w.requests_per_s / (bareWindows[i] as Window).requests_per_s).toFixed(2))),
    };
  } finally {
    await Promise.all([bosun.stop(), bare.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    await engines.drop();
  }
};
