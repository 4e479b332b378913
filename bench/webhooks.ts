/**
 * Webhook deliveries per second to a receiver on loopback, next to plain HTTP POSTs from
 * Node to the same receiver in the same run: the floor a delivery stands on. A delivery is
 * a task submitted over HTTP, its event dispatched, a delivery requested (one more event),
 * a Temporal workflow started by the reactor, and an activity that signs, POSTs and records
 * the attempt (one more event). Bosun runs as a child process with its embedded Temporal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const adminKey = 'bench-admin-key-0123456789';

export type WebhookBenchOptions = {
  /** Events delivered through Bosun. */
  readonly deliveries?: number;
  /** Plain POSTs for the baseline. */
  readonly posts?: number;
  /** Submits (and plain POSTs) in flight at once. */
  readonly concurrency?: number;
};

const inParallel = async (count: number, concurrency: number, one: (i: number) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
};

export const benchWebhooks = async (options: WebhookBenchOptions = {}) => {
  const deliveries = options.deliveries ?? 1000;
  const posts = options.posts ?? 5000;
  const concurrency = options.concurrency ?? 16;

  let received = 0;
  let lastAt = 0;
  let onReceived: (() => void) | null = null;
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received++;
      lastAt = performance.now();
      response.writeHead(204).end();
      onReceived?.();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-bench-webhooks-'));
  const bosun = await startServer(
    join(here, '..', 'cli.js'),
    ['serve'],
    {
      BOSUN_DATA_DIR: dataDir,
      BOSUN_ADMIN_KEY: adminKey,
      BOSUN_WORKFLOWS: 'on',
      BOSUN_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
      KAFKA_BROKERS: '',
      MONGODB_URL: '',
    },
    '/ready',
    { readyTimeoutMs: 120_000 },
  );
  try {
    const call = async (method: string, path: string, body?: object) => {
      const response = await fetch(`${bosun.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    // The baseline: the same receiver, plain POSTs of a similar body from this process.
    const body = JSON.stringify({ type: 'task.submitted', timestamp: new Date().toISOString(), data: { kind: 'echo', input: {} } });
    const postsStarted = performance.now();
    await inParallel(posts, concurrency, async () => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.arrayBuffer();
    });
    const postSeconds = (performance.now() - postsStarted) / 1000;

    await call('PUT', '/api/v1/team/policy', { drift_auto_approve_max_severity: 'low', allow_private_webhook_targets: true });
    const created = await call('POST', '/api/v1/webhooks', { url, event_types: ['task.submitted'] });
    if (created.status !== 201) throw new Error(`webhook not created: ${JSON.stringify(created.body)}`);
    received = 0;
    const allDelivered = new Promise<void>((resolve) => {
      onReceived = () => {
        if (received >= deliveries) resolve();
      };
    });
    const started = performance.now();
    await inParallel(deliveries, concurrency, async (i) => {
      const submitted = await call('POST', '/api/v1/tasks', { kind: 'echo', input: { i } });
      if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`);
    });
    const submitSeconds = (performance.now() - started) / 1000;
    await allDelivered;
    const deliverySeconds = (lastAt - started) / 1000;
    return {
      deliveries,
      concurrency,
      deliveries_per_second: Math.round(deliveries / deliverySeconds),
      submits_per_second: Math.round(deliveries / submitSeconds),
      plain_posts: posts,
      plain_posts_per_second: Math.round(posts / postSeconds),
    };
  } finally {
    await bosun.stop();
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
