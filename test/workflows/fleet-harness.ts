import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createLogger } from '../../infra/logger.js';
import { resolveTemporalCli } from '../../infra/temporal/cli.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../infra/temporal/dev-server.js';
import { startTestBosun, type TestBosun } from '../api/harness.js';

type Teardown = { teardown: (fn: () => unknown) => void };

/** One dev server per test file: starting one costs about a second, a test's own queue keeps tests apart. */
export const sharedTemporal = async (t: Teardown): Promise<TemporalDevServer> => {
  const logger = createLogger('warn');
  const server = await startTemporalDevServer({
    cliPath: await resolveTemporalCli({ logger }),
    dataDir: mkdtempSync(join(tmpdir(), 'bosun-temporal-')),
    logger,
  });
  t.teardown(() => server.stop());
  return server;
};

let queues = 0;

/** Bosun with its workflows on the shared server, fast heartbeats and a short acknowledgement window. */
export const startFleet = async (t: Teardown, temporal: TemporalDevServer, overrides: Parameters<typeof startTestBosun>[0] = {}): Promise<TestBosun> => {
  const app = await startTestBosun({
    workflows: 'on',
    temporalAddress: temporal.address,
    taskQueue: `fleet-test-${process.pid}-${++queues}`,
    heartbeatSeconds: 1,
    ackTimeoutSeconds: 3,
    ...overrides,
  });
  t.teardown(() => app.stop());
  return app;
};

/** Polls `probe` until it returns something truthy; fails with `what` after `ms`. */
export const eventually = async <T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 30_000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};

/** Deploys a local instance and waits until its agent has enrolled and beats. */
export const deployRunning = async (app: TestBosun, spec: object = {}, name = 'box'): Promise<string> => {
  const deployed = await app.call('POST', '/api/v1/instances', { body: { name, provider: 'local', spec } });
  if (deployed.status !== 202) throw new Error(`deploy answered ${deployed.status}: ${JSON.stringify(deployed.body)}`);
  const id = deployed.body.id as string;
  await eventually(`instance ${id} running and healthy`, async () => {
    const { body } = await app.call('GET', `/api/v1/instances/${id}`);
    return body.status === 'running' && body.health === 'healthy';
  });
  return id;
};

export const taskStatus = async (app: TestBosun, taskId: string): Promise<string> => (await app.call('GET', `/api/v1/tasks/${taskId}`)).body.status as string;

export const waitForStatus = (app: TestBosun, taskId: string, status: string, ms?: number) =>
  eventually(`task ${taskId} ${status}`, async () => (await taskStatus(app, taskId)) === status, ms);

export const submit = async (app: TestBosun, body: object): Promise<string> => {
  const submitted = await app.call('POST', '/api/v1/tasks', { body });
  if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
  return submitted.body.id as string;
};

export const eventTypes = async (app: TestBosun, taskId: string): Promise<string[]> =>
  (await app.bosun.events.readStream(`task-${taskId}`)).map((event) => event.type);

/** The pid of a local instance's agent, from its pid file. */
export const agentPid = (app: TestBosun, instanceId: string): number =>
  Number(readFileSync(join(app.dataDir, 'instances', instanceId, 'agent.pid'), 'utf8').trim());

export const historiesDir = join(import.meta.dirname, 'histories');

/**
 * With BOSUN_RECORD_HISTORIES=1, keeps the history of `workflowId` as a replay fixture
 * (`histories/<name>.json`); replay.unit.test.ts replays every fixture against the
 * current workflow code, so a change that is not deterministic fails CI.
 */
export const recordHistory = async (temporal: TemporalDevServer, workflowId: string, name: string): Promise<void> => {
  if (process.env.BOSUN_RECORD_HISTORIES !== '1') return;
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const history = await new Client({ connection, namespace: temporal.namespace }).workflow.getHandle(workflowId).fetchHistory();
    mkdirSync(historiesDir, { recursive: true });
    writeFileSync(join(historiesDir, `${name}.json`), `${historyToJSON(history)}\n`);
  } finally {
    await connection.close();
  }
};
