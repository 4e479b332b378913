/**
 * The real workflow code on Temporal's time-skipping test server, with mocked activities:
 * timers of minutes or hours fire as soon as nothing else can happen. The server is
 * resolved as Bosun resolves it (installed into the cache from Maven Central on a fresh
 * clone); one per test file, each test on a task queue of its own.
 */
import { execFile, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createLogger } from '../../infra/logger.js';
import { installTemporalRuntime } from '../../infra/temporal/engine.js';
import { resolveTemporalTestServer } from '../../infra/temporal/test-server.js';
import { aggregateEventSignal, type AggregateEvent, type Written } from '../../workflows/signals.js';
import { startWorker } from '../../workflows/worker.js';

type Teardown = { teardown: (fn: () => unknown) => void };

// Errors only by default: core warns at each worker's start that the test server does not
// advertise the capabilities of a real one.
const logger = createLogger(process.env.LOG_LEVEL ?? 'error');

export const timeSkippingEnvironment = async (t: Teardown): Promise<TestWorkflowEnvironment> => {
  installTemporalRuntime(logger);
  const path = await resolveTemporalTestServer({ logger });
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  const guard = await guardServer(env);
  t.teardown(async () => {
    await env.teardown();
    guard.kill('SIGKILL');
    guard.stdin.destroy();
  });
  return env;
};

/**
 * Kills the server's JVM once this process is gone, however it went. A teardown does not
 * run when tap kills a test file at its timeout (SIGALRM, then SIGKILL), and core stops
 * its child only from `teardown`, so the JVM would outlive the file. The guard is a shell
 * of its own process group that waits for the end of a pipe from this process, which the
 * kernel closes at any exit; the teardown kills the guard once the server is stopped.
 */
const guardServer = async (env: TestWorkflowEnvironment) => {
  const port = env.address.split(':').at(-1) ?? '';
  // The launcher execs Java, so the JVM is this process's child with the port as its last argument.
  const { stdout } = await promisify(execFile)('pgrep', ['-P', String(process.pid), '-f', ` ${port}$`]);
  const jvm = Number(stdout.trim());
  if (!Number.isInteger(jvm) || jvm <= 0) throw new Error(`no test server process of port ${port} among this process's children: ${stdout}`);
  const guard = spawn('sh', ['-c', 'read _; kill -9 "$0" 2>/dev/null', String(jvm)], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  return guard;
};

/**
 * One worker per test file, of the built workflow bundle, stopped at teardown: starting
 * one costs more than a test. Each activity call goes to the mocks a test routed to the
 * aggregate the call names (its argument's `idField`).
 */
export const sharedWorker = async <Activities extends object>(
  t: Teardown,
  env: TestWorkflowEnvironment,
  names: readonly (keyof Activities & string)[],
  idField: string,
) => {
  const routes = new Map<string, Activities>();
  const activities = Object.fromEntries(
    names.map((name) => [
      name,
      (ref: Record<string, unknown>) => {
        const mocks = routes.get(String(ref[idField]));
        if (!mocks) throw new Error(`${name}: no test routed ${idField} ${String(ref[idField])}`);
        return (mocks[name] as (ref: Record<string, unknown>) => Promise<unknown>)(ref);
      },
    ]),
  );
  const taskQueue = `time-skipping-${process.pid}`;
  const worker = await startWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, activities, logger });
  t.teardown(worker.stop);
  return { taskQueue, route: (id: string, mocks: Activities): void => void routes.set(id, mocks) };
};

/**
 * One aggregate's stream as the mocked activities keep it. Events are stamped with the
 * test server's clock, the one the workflow reads, so the deadlines they carry hold in
 * skipped time.
 */
export class FakeStream {
  readonly events: AggregateEvent[] = [];

  constructor(
    private readonly env: TestWorkflowEnvironment,
    private readonly correlationId = 'corr-1',
  ) {}

  /** The server's time now, as an ISO instant. */
  async now(): Promise<string> {
    return new Date(await this.env.currentTimeMs()).toISOString();
  }

  async append(type: string, data: Record<string, unknown> = {}): Promise<AggregateEvent> {
    const event: AggregateEvent = {
      eventId: `event-${this.events.length}`,
      type,
      revision: this.events.length,
      occurredAt: await this.now(),
      correlationId: this.correlationId,
      data,
    };
    this.events.push(event);
    return event;
  }

  /** What a task activity answers: its last write, and the events after what the workflow has seen. */
  answer(seen: number | undefined, written: AggregateEvent | null): Written {
    return { revision: written?.revision ?? null, events: this.events.filter((event) => event.revision > (seen ?? -1)) };
  }

  types(): string[] {
    return this.events.map((event) => event.type);
  }
}

/** Forwards `event` to the workflow, as the reactor does. */
export const forward = (env: TestWorkflowEnvironment, workflowId: string, event: AggregateEvent): Promise<void> =>
  env.client.workflow.getHandle(workflowId).signal(aggregateEventSignal, event);

/**
 * Data that adds about a megabyte to a workflow's history: the test server suggests
 * continue-as-new once a history passes 4 MiB (or 4096 events).
 */
export const megabyte = (): Record<string, unknown> => ({ padding: 'x'.repeat(1024 * 1024) });

/** Resolves once the workflow has continued as new: its current run is no longer `firstRunId`. */
export const continuedAsNew = async (handle: WorkflowHandle, firstRunId: string): Promise<void> => {
  for (let attempt = 0; ; attempt++) {
    if ((await handle.describe()).runId !== firstRunId) return;
    if (attempt > 300) throw new Error(`workflow ${handle.workflowId} did not continue as new`);
    await sleep(20);
  }
};

/**
 * The input a workflow's current run started with, and the run it continued from (null
 * for a first run). Read from the current run's history: the run before passed 4 MiB,
 * more than a client takes in one message.
 */
export const currentRunInput = async <Input>(env: TestWorkflowEnvironment, workflowId: string): Promise<{ input: Input; continuedFrom: string | null }> => {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const payload = started?.input?.payloads?.[0];
  if (!payload) throw new Error(`the current run of ${workflowId} has no input`);
  return { input: defaultPayloadConverter.fromPayload<Input>(payload), continuedFrom: started.continuedExecutionRunId || null };
};

/**
 * Terminates a workflow once its current run is at rest: no workflow task outstanding and
 * no activity pending. The test server locks time skipping for each of those until it ends,
 * and terminating the run ends neither (the worker's late completion is refused): on a
 * shared server, time would never skip again. Time skipping is locked meanwhile, so that no
 * timer wakes the run between the look and the termination.
 */
export const terminateAtRest = async (env: TestWorkflowEnvironment, handle: WorkflowHandle): Promise<void> => {
  const testService = env.connection.testService;
  if (!testService) throw new Error('not a time-skipping test server');
  await testService.lockTimeSkipping({});
  try {
    if ((await handle.describe()).status.name !== 'RUNNING') return;
    for (let attempt = 0; !(await atRest(handle)); attempt++) {
      if (attempt > 300) throw new Error(`workflow ${handle.workflowId} did not come to rest: terminating it would stop time skipping for good`);
      await sleep(10);
    }
    await handle.terminate('test over');
  } finally {
    await testService.unlockTimeSkipping({});
  }
};

const atRest = async (handle: WorkflowHandle): Promise<boolean> => {
  const { events } = await handle.fetchHistory();
  let taskOutstanding = false;
  const pendingActivities = new Set<string>();
  for (const event of events ?? []) {
    if (event.workflowTaskScheduledEventAttributes) taskOutstanding = true;
    if (event.workflowTaskCompletedEventAttributes || event.workflowTaskFailedEventAttributes || event.workflowTaskTimedOutEventAttributes)
      taskOutstanding = false;
    if (event.activityTaskScheduledEventAttributes) pendingActivities.add(String(event.eventId));
    const ended =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes ??
      event.activityTaskCanceledEventAttributes;
    if (ended) pendingActivities.delete(String(ended.scheduledEventId));
  }
  return !taskOutstanding && pendingActivities.size === 0;
};

/** Records each call of a mocked activity, and lets a test wait for the nth call of one. */
export class Calls<Name extends string> {
  readonly log: { readonly name: Name; readonly args: Record<string, unknown> }[] = [];
  private waiters: { readonly name: Name; readonly count: number; readonly done: () => void }[] = [];

  record(name: Name, args: object): void {
    this.log.push({ name, args: args as Record<string, unknown> });
    const count = this.of(name).length;
    for (const waiter of this.waiters.filter((w) => w.name === name && w.count <= count)) waiter.done();
    this.waiters = this.waiters.filter((w) => !(w.name === name && w.count <= count));
  }

  names(): Name[] {
    return this.log.map((call) => call.name);
  }

  of(name: Name): Record<string, unknown>[] {
    return this.log.filter((call) => call.name === name).map((call) => call.args);
  }

  /** Resolves once `name` has been called `count` times. */
  called(name: Name, count = 1): Promise<void> {
    if (this.of(name).length >= count) return Promise.resolve();
    return new Promise((done) => this.waiters.push({ name, count, done }));
  }
}
