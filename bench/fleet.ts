/**
 * Tasks end to end on a fleet of local agents: submitted over HTTP, placed by the task
 * workflow, claimed, run and completed by an agent. In the same run, on the same Temporal
 * dev server, a one-activity workflow with its own worker: the floor every task stands on,
 * since a task is a workflow with one activity plus the signals its events bring.
 *
 * "In flight" means submitted and not yet finished, for tasks and workflows alike: each of
 * `inFlight` loops submits, waits for the outcome, and submits the next.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createLogger } from '../infra/logger.js';
import { isAgentProcess, readPidFile, stopAgentProcesses } from '../infra/providers/local-agent-process.js';
import { resolveTemporalCli } from '../infra/temporal/cli.js';
import { startTemporalDevServer, type TemporalDevServer } from '../infra/temporal/dev-server.js';
import { installTemporalRuntime } from '../infra/temporal/engine.js';
import type { BaselineActivities } from './baseline-workflow.js';
import { cpuMeter, cpuUse, type CpuSpan } from './cpu-meter.js';
import { cpuProfiling, startServer, type ServerProcess } from './server-process.js';
import { latencyDistribution, median } from './statistics.js';

const here = dirname(fileURLToPath(import.meta.url));
const adminKey = 'bench-admin-key-0123456789';
const baselineTaskQueue = 'bench-baseline';
/** Longest a single task may take before it counts as failed. */
const outcomeTimeoutMs = 120_000;
const progressEveryMs = 2000;

export type FleetBenchOptions = {
  readonly instances?: number;
  /**
   * `max_concurrent_tasks` of each instance. Default 16: four instances then hold exactly
   * the 64 tasks in flight, so every task finds a slot when it is placed. With fewer, the
   * surplus is deferred and looks again only after a second (the task workflow's placement
   * retry), and the figure would also measure deferrals.
   */
  readonly slotsPerInstance?: number;
  /** Tasks submitted one at a time on the idle fleet, for submit-to-running latency. */
  readonly latencyTasks?: number;
  /** Tasks for the throughput figure. */
  readonly tasks?: number;
  /** One-activity workflows for the baseline figure. */
  readonly workflows?: number;
  readonly inFlight?: number;
  /** Tasks and workflows run before the measurements and not counted: JIT, caches, connections. */
  readonly warmUp?: number;
  /** Throughput is measured in this many rounds, fleet and baseline alternating. */
  readonly rounds?: number;
};

type Answer = { readonly status: number; readonly body: any };
type Call = (method: string, path: string, init?: { readonly body?: object; readonly headers?: Record<string, string> }) => Promise<Answer>;
type Submitted = { readonly id: string; readonly position: number };

const apiOf =
  (url: string): Call =>
  async (method, path, init = {}) => {
    const response = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    const json = response.headers.get('content-type')?.includes('application/json');
    return { status: response.status, body: json && text ? JSON.parse(text) : text };
  };

const perSecond = (count: number, ms: number): number => Number(((count * 1000) / ms).toFixed(1));

/**
 * Runs `total` jobs, `inFlight` at a time, logging progress. A job answers how long its
 * unit of work took (ms), or null when it did not succeed; one that throws failed too.
 */
const closedLoop = async (phase: string, total: number, inFlight: number, job: (index: number) => Promise<number | null>, logger: Logger) => {
  let next = 0;
  let done = 0;
  let failures = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const progress = setInterval(() => {
    logger.info({ phase, done, of: total, failures, per_s: perSecond(done, performance.now() - started) }, 'progress');
  }, progressEveryMs);
  const loop = async () => {
    while (next < total) {
      const index = next++;
      const took = await job(index).catch((error: unknown) => {
        logger.warn({ phase, index, err: error }, 'failed');
        return null;
      });
      done++;
      if (took === null) failures++;
      else latencies.push(took);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(inFlight, total) }, loop));
  } finally {
    clearInterval(progress);
  }
  return { ms: performance.now() - started, completed: latencies.length, failures, latencies };
};

type Measured = Awaited<ReturnType<typeof closedLoop>> & { readonly cpu: CpuSpan };

/** Rounds of one kind taken together: their rate, the rate of each, the latency of every unit. */
const throughputOf = (rounds: readonly Measured[]) => {
  const completed = rounds.reduce((sum, round) => sum + round.completed, 0);
  const ms = rounds.reduce((sum, round) => sum + round.ms, 0);
  return {
    completed,
    seconds: Number((ms / 1000).toFixed(1)),
    perSecond: perSecond(completed, ms),
    perSecondByRound: rounds.map((round) => perSecond(round.completed, round.ms)),
    latency: latencyDistribution(rounds.flatMap((round) => round.latencies)),
    failures: rounds.reduce((sum, round) => sum + round.failures, 0),
    cpu: cpuUse(
      rounds.map((round) => round.cpu),
      completed,
    ),
  };
};

const fleetTasks = (call: Call) => {
  const submit = async (message: string): Promise<Submitted> => {
    const answer = await call('POST', '/tasks', { body: { kind: 'echo', input: { message } } });
    if (answer.status !== 202) throw new Error(`submit answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return { id: answer.body.id as string, position: answer.body.position as number };
  };

  /** Long-polls the task's result; the status it finished in. */
  const outcome = async (task: Submitted): Promise<string> => {
    const until = Date.now() + outcomeTimeoutMs;
    while (Date.now() < until) {
      // X-Min-Position: the read that follows a submit must find the task it created.
      const answer = await call('GET', `/tasks/${task.id}/result?wait_seconds=30`, { headers: { 'x-min-position': String(task.position) } });
      if (answer.status === 200) return answer.body.status as string;
      if (answer.status !== 409) throw new Error(`result of ${task.id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    throw new Error(`task ${task.id} did not finish within ${outcomeTimeoutMs} ms`);
  };

  /** When each event of a finished task occurred, by type (the first of each type): its event stream replays them and ends. */
  const eventTimes = async (taskId: string): Promise<Map<string, number>> => {
    const answer = await call('GET', `/tasks/${taskId}/events`);
    const times = new Map<string, number>();
    for (const line of String(answer.body).split('\n')) {
      if (!line.startsWith('data: ')) continue;
      const event = JSON.parse(line.slice('data: '.length)) as { type: string; occurred_at: string };
      if (!times.has(event.type)) times.set(event.type, Date.parse(event.occurred_at));
    }
    return times;
  };

  /** Submits one echo task and waits for it; ms from submit to the answer, or null if it did not complete. */
  const runOne = async (message: string): Promise<number | null> => {
    const started = performance.now();
    const status = await outcome(await submit(message));
    return status === 'completed' ? performance.now() - started : null;
  };

  return { submit, outcome, eventTimes, runOne };
};

/** Deploys `count` local instances and waits until each runs and is healthy; their ids. */
const deployFleet = async (call: Call, count: number, slots: number, logger: Logger): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const deployed = await call('POST', '/instances', { body: { name: `bench-${i}`, provider: 'local', spec: { max_concurrent_tasks: slots } } });
    if (deployed.status !== 202) throw new Error(`deploy answered ${deployed.status}: ${JSON.stringify(deployed.body)}`);
    ids.push(deployed.body.id as string);
  }
  const until = Date.now() + 60_000;
  for (const id of ids) {
    for (;;) {
      const { body } = await call('GET', `/instances/${id}`);
      if (body.status === 'running' && body.health === 'healthy') break;
      if (Date.now() > until) throw new Error(`instance ${id} not running and healthy within 60 s: ${body.status}, ${body.health}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  logger.info({ instances: ids.length, slots_per_instance: slots }, 'fleet running and healthy');
  return ids;
};

/** Agents Bosun did not stop (it was killed, say) are stopped here, found through their pid files. */
const stopStrayAgents = async (dataDir: string, logger: Logger): Promise<void> => {
  const instancesDir = join(dataDir, 'instances');
  let ids: string[];
  try {
    ids = readdirSync(instancesDir).filter((name) => !name.startsWith('.'));
  } catch {
    return;
  }
  for (const instanceId of ids) {
    const dir = join(instancesDir, instanceId);
    const pid = await readPidFile(join(dir, 'agent.pid'));
    if (pid === null || !(await isAgentProcess(pid, dir))) continue;
    logger.warn({ instance_id: instanceId, pid }, 'agent still running after Bosun stopped: stopping it');
    await stopAgentProcesses([pid], { instanceId, dir, graceMs: 5000, logger });
  }
};

/**
 * The one-activity workflow on its own task queue and worker, in this process; `stop` shuts
 * the worker down. Started as Bosun starts its workflows: eagerly, by a client sharing the
 * worker's connection.
 */
const startBaselineWorker = async (address: string, logger: Logger) => {
  installTemporalRuntime(logger);
  const connection = await NativeConnection.connect({ address });
  const activities: BaselineActivities = { echo: async (message) => message };
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue: baselineTaskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: join(here, 'baseline-workflow.js'), logger: new DefaultLogger('WARN') }),
    activities,
  });
  const running = worker.run();
  const client = new Client({ connection, namespace: 'default' });
  let started = 0;
  /** Starts one workflow and waits for its result; ms from start to result. */
  const runOne = async (): Promise<number> => {
    const begun = performance.now();
    await client.workflow.execute('oneActivityWorkflow', {
      taskQueue: baselineTaskQueue,
      workflowId: `baseline-${++started}`,
      args: ['hello'],
      requestEagerStart: true,
    });
    return performance.now() - begun;
  };
  return {
    runOne,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
};

export const benchFleet = async (options: FleetBenchOptions = {}) => {
  const instances = options.instances ?? 4;
  const slots = options.slotsPerInstance ?? 16;
  const latencyTasks = options.latencyTasks ?? 200;
  const taskCount = options.tasks ?? 2000;
  const workflowCount = options.workflows ?? 2000;
  const inFlight = options.inFlight ?? 64;
  const rounds = options.rounds ?? 4;
  const warmUp = options.warmUp ?? 128;
  const logger = createLogger('info', 'stderr').child({ component: 'bench-fleet' });
  const dir = mkdtempSync(join(tmpdir(), 'bosun-bench-fleet-'));
  const bosunDataDir = join(dir, 'bosun');
  let temporal: TemporalDevServer | null = null;
  let bosun: ServerProcess | null = null;
  let baseline: Awaited<ReturnType<typeof startBaselineWorker>> | null = null;
  try {
    temporal = await startTemporalDevServer({ cliPath: await resolveTemporalCli({ logger }), dataDir: join(dir, 'temporal'), logger });
    bosun = await startServer(
      join(here, '..', 'cli.js'),
      ['serve'],
      // The fleet is measured on the embedded read side: its figures compare workflow engines, not read stores.
      {
        BOSUN_DATA_DIR: bosunDataDir,
        BOSUN_ADMIN_KEY: adminKey,
        BOSUN_RATE_LIMIT: '10000000',
        LOG_LEVEL: 'warn',
        TEMPORAL_ADDRESS: temporal.address,
        KAFKA_BROKERS: '',
        MONGODB_URL: '',
      },
      '/ready',
      // BENCH_CPU_PROF_DIR: where Bosun writes a CPU profile of the whole run when it stops.
      { stdout: 'stderr', nodeOptions: cpuProfiling },
    );
    const call = apiOf(bosun.url);
    const tasks = fleetTasks(call);
    const agentPids: number[] = [];
    for (const id of await deployFleet(call, instances, slots, logger)) {
      const pid = await readPidFile(join(bosunDataDir, 'instances', id, 'agent.pid'));
      if (pid !== null) agentPids.push(pid);
    }
    const pids = { bosun: [bosun.child.pid as number], temporal: [temporal.pid] };
    const cpu = cpuMeter({ bosun: () => pids.bosun, agents: () => agentPids, temporal: () => pids.temporal });
    const measured = async (phase: string, total: number, concurrency: number, job: (index: number) => Promise<number | null>): Promise<Measured> => {
      const before = cpu.sample();
      const run = await closedLoop(phase, total, concurrency, job, logger);
      return { ...run, cpu: cpu.since(before) };
    };

    baseline = await startBaselineWorker(temporal.address, logger);
    const runWorkflow = baseline.runOne;
    const fleetWarmUp = await closedLoop('fleet warm-up', warmUp, inFlight, (i) => tasks.runOne(`warm-up ${i}`), logger);
    const baselineWarmUp = await closedLoop('baseline warm-up', warmUp, inFlight, runWorkflow, logger);

    // (1) Idle fleet: one task at a time, each finished before the next is submitted.
    const spans = { toQueued: [] as number[], queuedToRunning: [] as number[], runningToCompleted: [] as number[] };
    const idle = await measured('idle latency', latencyTasks, 1, async (i) => {
      const task = await tasks.submit(`idle ${i}`);
      if ((await tasks.outcome(task)) !== 'completed') return null;
      const at = await tasks.eventTimes(task.id);
      const [submitted, queued, started, completed] = ['task.submitted', 'task.queued', 'task.started', 'task.completed'].map(
        (type) => at.get(type) ?? NaN,
      ) as [number, number, number, number];
      spans.toQueued.push(queued - submitted);
      spans.queuedToRunning.push(started - queued);
      spans.runningToCompleted.push(completed - started);
      return started - submitted;
    });

    // (2) and (3): tasks and baseline workflows, `inFlight` at all times, in alternating
    // rounds so that both see the same machine: on a shared one, a neighbour's load comes
    // and goes within minutes.
    const fleetRounds: Measured[] = [];
    const baselineRounds: Measured[] = [];
    for (let round = 1; round <= rounds; round++) {
      fleetRounds.push(await measured(`fleet round ${round}/${rounds}`, Math.ceil(taskCount / rounds), inFlight, (i) => tasks.runOne(`round ${round} ${i}`)));
      baselineRounds.push(await measured(`baseline round ${round}/${rounds}`, Math.ceil(workflowCount / rounds), inFlight, runWorkflow));
    }

    const fleet = throughputOf(fleetRounds);
    const base = throughputOf(baselineRounds);
    const ratio = Number(median(fleet.perSecondByRound.map((tasksPerSecond, i) => tasksPerSecond / (base.perSecondByRound[i] as number))).toFixed(2));
    const idleLatency = latencyDistribution(idle.latencies);
    return {
      instances,
      slots_per_instance: slots,
      in_flight: inFlight,
      rounds,
      idle_submit_to_running: { tasks: idle.completed, ...idleLatency, failures: idle.failures, cpu: cpuUse([idle.cpu], idle.completed) },
      idle_spans_p50_ms: {
        submitted_to_queued: latencyDistribution(spans.toQueued).p50_ms,
        queued_to_running: latencyDistribution(spans.queuedToRunning).p50_ms,
        running_to_completed: latencyDistribution(spans.runningToCompleted).p50_ms,
      },
      fleet: {
        tasks: fleet.completed,
        seconds: fleet.seconds,
        tasks_per_s: fleet.perSecond,
        tasks_per_s_by_round: fleet.perSecondByRound,
        submit_to_completed: fleet.latency,
        failures: fleet.failures + fleetWarmUp.failures,
        cpu: fleet.cpu,
      },
      baseline: {
        workflows: base.completed,
        seconds: base.seconds,
        workflows_per_s: base.perSecond,
        workflows_per_s_by_round: base.perSecondByRound,
        start_to_result: base.latency,
        failures: base.failures + baselineWarmUp.failures,
        // The baseline worker runs in this process: its CPU is under `bench`.
        cpu: base.cpu,
      },
      // The median of the rounds' ratios.
      fleet_vs_baseline: ratio,
      targets_met: {
        tasks_per_s_at_least_50: fleet.perSecond >= 50,
        fleet_vs_baseline_at_least_half: ratio >= 0.5,
        idle_p99_under_500_ms: idleLatency.p99_ms < 500,
      },
    };
  } finally {
    await baseline?.stop().catch((error: unknown) => logger.error({ err: error }, 'baseline worker did not stop'));
    await bosun?.stop();
    await stopStrayAgents(bosunDataDir, logger);
    await temporal?.stop();
    if (process.env.BENCH_KEEP_DIR !== '1') rmSync(dir, { recursive: true, force: true });
  }
};
