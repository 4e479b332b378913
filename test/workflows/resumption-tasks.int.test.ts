/**
 * Crashes in the middle of running tasks: the worker (with Bosun around it), the Temporal
 * server, and the whole process group. After each, the fleet finishes the task exactly once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { freePort, missingBuild, serve, stopped } from '../api/process.js';
import { eventually, sharedTemporal } from './fleet-harness.js';
import { agentPids, alive, apiAt, countedTask, deploy, devServerPid, fleetEnv, linesIn, scratch, stop, waitStatus } from './resumption-harness.js';

const temporal = missingBuild ? null : await sharedTemporal(t);

t.test('the worker killed mid-task: Bosun (and its worker) come back and the task completes once', { skip: missingBuild }, async (t) => {
  const dataDir = scratch(t);
  const port = await freePort();
  const env = fleetEnv({ TEMPORAL_ADDRESS: temporal!.address, BOSUN_TASK_QUEUE: `resume-worker-${process.pid}` });
  let bosun = await serve(dataDir, port, env);
  t.teardown(() => stop(bosun));
  const api = apiAt(bosun.base);
  await deploy(api, { settings: { allow_shell: true } });
  const sideEffect = join(dataDir, 'side-effect.log');
  const taskId = (await api('POST', '/api/v1/tasks', countedTask(sideEffect, 3))).body.id as string;
  await waitStatus(api, taskId, 'running');

  bosun.child.kill('SIGKILL');
  await stopped(bosun.child);
  // The agent outlives Bosun (a child, not killed with it): it keeps running the task.
  bosun = await serve(dataDir, port, env);
  await waitStatus(api, taskId, 'completed');
  t.equal(linesIn(sideEffect), 1, 'the task ran exactly once');
  const events = (await api('GET', `/api/v1/tasks/${taskId}`)).body;
  t.equal(events.attempts, 1, 'one attempt: nothing was retried');
});

t.test(
  'the Temporal server killed mid-task: it is started again and the task completes once',
  { skip: missingBuild || (!existsSync('/proc') && 'needs /proc') },
  async (t) => {
    const dataDir = scratch(t);
    const port = await freePort();
    const bosun = await serve(dataDir, port, fleetEnv());
    t.teardown(() => stop(bosun));
    const api = apiAt(bosun.base);
    await deploy(api, { settings: { allow_shell: true } });
    const sideEffect = join(dataDir, 'side-effect.log');
    const taskId = (await api('POST', '/api/v1/tasks', countedTask(sideEffect, 3))).body.id as string;
    await waitStatus(api, taskId, 'running');

    const pid = devServerPid(dataDir);
    t.ok(pid, 'the embedded dev server runs');
    process.kill(pid as number, 'SIGKILL');
    await eventually('a new dev server', async () => {
      const next = devServerPid(dataDir);
      return next !== null && next !== pid;
    });
    await waitStatus(api, taskId, 'completed');
    t.equal(linesIn(sideEffect), 1, 'the task ran exactly once');
    // The fleet still works after the restart.
    const next = (await api('POST', '/api/v1/tasks', { kind: 'echo', input: { message: 'after' } })).body.id as string;
    await waitStatus(api, next, 'completed');
  },
);

t.test(
  'kill -9 of the whole process group, then start again: instances come back and the running task is retried and completes',
  { skip: missingBuild },
  async (t) => {
    const dataDir = scratch(t);
    const port = await freePort();
    const first = await serve(dataDir, port, fleetEnv(), { detached: true });
    const api = apiAt(first.base);
    const instanceId = await deploy(api);
    // A sleep, not a shell task: a shell command runs in a process group of its own and would outlive the kill.
    const taskId = (await api('POST', '/api/v1/tasks', { kind: 'sleep', input: { seconds: 2 } })).body.id as string;
    await waitStatus(api, taskId, 'running');
    const [oldAgent] = agentPids(dataDir);

    process.kill(-(first.child.pid as number), 'SIGKILL');
    await stopped(first.child);
    await eventually('the agent died with the group', async () => !alive(oldAgent as number));

    const second = await serve(dataDir, port, fleetEnv(), { detached: true });
    t.teardown(() => stop(second));
    await eventually('the instance is healthy again', async () => (await api('GET', `/api/v1/instances/${instanceId}`)).body.health === 'healthy', 60_000);
    t.not(agentPids(dataDir)[0], oldAgent, 'a new agent process runs the instance');
    await waitStatus(api, taskId, 'completed', 90_000);
    const task = (await api('GET', `/api/v1/tasks/${taskId}`)).body;
    t.equal(task.attempts, 2, 'the lost run was retried within the retry policy');
    t.match(task.outputs, { slept_seconds: 2 });
  },
);
