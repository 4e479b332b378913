/**
 * Webhook deliveries per second to a receiver on loopback, next to plain HTTP POSTs from
 * Node to the same receiver in the same run: the floor a delivery stands on. A delivery is
 * an event dispatched, a delivery requested (one more event), a Temporal workflow started
 * by the reactor, and an activity that signs, POSTs and records the attempt (one more
 * event). Measured twice: for events that cause nothing else (webhook renames), and for
 * task submits, whose task workflows share the engine. Bosun runs as a child process with
 * its embedded Temporal.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuProfiling, startServer } from './server-process.js';

const here = dirname(fileURLToPath(import.meta.url));
const adminKey = 'bench-admin-key-0123456789';

export type WebhookBenchOptions = {
  /** Events delivered through Bosun whose only consequence is their delivery. */
  readonly deliveries?: number;
  /** Tasks submitted, each `task.submitted` delivered. */
  readonly taskDeliveries?: number;
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
  const taskDeliveries = options.taskDeliveries ?? 300;
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
    { readyTimeoutMs: 120_000, nodeOptions: cpuProfiling },
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
    const subscribe = async (eventTypes: string[]) => {
      const created = await call('POST', '/api/v1/webhooks', { url, event_types: eventTypes });
      if (created.status !== 201) throw new Error(`webhook not created: ${JSON.stringify(created.body)}`);
      return created.body.id as string;
    };
    /** Deliveries/s from the first of `count` causes to the `count`-th delivery received, and causes/s. */
    const deliveriesOf = async (count: number, cause: (i: number) => Promise<void>) => {
      received = 0;
      const allDelivered = new Promise<void>((resolve) => {
        onReceived = () => {
          if (received >= count) resolve();
        };
      });
      const started = performance.now();
      await inParallel(count, concurrency, cause);
      const causeSeconds = (performance.now() - started) / 1000;
      await allDelivered;
      return { deliveries: count, per_second: Math.round(count / ((lastAt - started) / 1000)), causes_per_second: Math.round(count / causeSeconds) };
    };

    // Deliveries alone: events whose only consequence is their delivery. Each of
    // `concurrency` quiet webhooks (subscribed to nothing that happens) is renamed in turn,
    // and one webhook subscribed to `webhook.updated` delivers every rename.
    const quiet = await Promise.all(Array.from({ length: concurrency }, () => subscribe(['alert.raised'])));
    await subscribe(['webhook.updated']);
    const alone = await deliveriesOf(deliveries, async (i) => {
      const renamed = await call('PATCH', `/api/v1/webhooks/${quiet[i % concurrency]}`, { description: `rename ${i}` });
      if (renamed.status !== 200) throw new Error(`rename answered ${renamed.status}: ${JSON.stringify(renamed.body)}`);
    });
    await Promise.all(quiet.map((id) => call('DELETE', `/api/v1/webhooks/${id}`)));

    // Deliveries of submits: each task also starts its task workflow, which looks for an
    // instance every second while none can take it (there is none here).
    await subscribe(['task.submitted']);
    const ofSubmits = await deliveriesOf(taskDeliveries, async (i) => {
      const submitted = await call('POST', '/api/v1/tasks', { kind: 'echo', input: { i } });
      if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`);
    });
    return {
      concurrency,
      plain_posts: posts,
      plain_posts_per_second: Math.round(posts / postSeconds),
      deliveries_alone: alone,
      deliveries_of_submits: ofSubmits,
    };
  } finally {
    await bosun.stop();
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
