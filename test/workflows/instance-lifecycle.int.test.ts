import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { TestBosun } from '../api/harness.js';
import { agentPid, deployRunning, eventually, sharedTemporal, startFleet, submit, waitForStatus } from './fleet-harness.js';

const temporal = await sharedTemporal(t);

const instanceOf = async (app: TestBosun, id: string) => (await app.call('GET', `/api/v1/instances/${id}`)).body;
const waitForInstance = (app: TestBosun, id: string, status: string) =>
  eventually(`instance ${id} ${status}`, async () => {
    const instance = await instanceOf(app, id);
    return instance.status === status && instance.pending === null && instance;
  });
const allowedActions = async (app: TestBosun, id: string) => (await app.call('GET', `/api/v1/instances/${id}/lifecycle`)).body.allowed_actions;
const instanceDir = (app: TestBosun, id: string) => join(app.dataDir, 'instances', id);
const credentialOf = (app: TestBosun, id: string) => readFileSync(join(instanceDir(app, id), 'credential'), 'utf8').trim();
const processRuns = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const instanceEventTypes = async (app: TestBosun, id: string) => (await app.bosun.events.readStream(`instance-${id}`)).map((event) => event.type);

t.test(
  'given a running instance, when suspended, its agent stops and a task waits; when resumed, the agent is back with its credential and the task runs',
  async (t) => {
    const app = await startFleet(t, temporal);
    const instanceId = await deployRunning(app);
    const pid = agentPid(app, instanceId);
    const credential = credentialOf(app, instanceId);
    t.same(await allowedActions(app, instanceId), ['change_spec', 'suspend', 'destroy', 'backup', 'restart']);

    const suspending = await app.call('POST', `/api/v1/instances/${instanceId}/suspend`);
    t.equal(suspending.status, 202);
    t.same(suspending.body.allowed_actions, ['change_spec', 'destroy', 'backup'], 'no second suspend while one is pending');
    await waitForInstance(app, instanceId, 'suspended');
    await eventually('the agent process gone', async () => !processRuns(pid));
    t.same(await allowedActions(app, instanceId), ['change_spec', 'resume', 'destroy', 'backup']);

    const taskId = await submit(app, { kind: 'echo', input: { message: 'after the nap' }, instance_id: instanceId });
    await waitForStatus(app, taskId, 'waiting');
    // Longer than three heartbeat intervals: a suspended agent is silent on purpose.
    await sleep(4500);
    t.equal((await app.call('GET', `/api/v1/tasks/${taskId}`)).body.status, 'waiting', 'the task waits for the instance');
    t.not((await instanceOf(app, instanceId)).health, 'unhealthy', 'the silence of a suspended agent is not a loss');
    t.same((await app.call('GET', `/api/v1/alerts?subject_id=${instanceId}`)).body.data, [], 'and raises no alert');

    t.equal((await app.call('POST', `/api/v1/instances/${instanceId}/resume`)).status, 202);
    await waitForInstance(app, instanceId, 'running');
    await waitForStatus(app, taskId, 'completed');
    const task = (await app.call('GET', `/api/v1/tasks/${taskId}`)).body;
    t.match(task, { instance_id: instanceId, outputs: { message: 'after the nap' } });
    const resumedPid = agentPid(app, instanceId);
    t.not(resumedPid, pid, 'a new agent process');
    t.ok(processRuns(resumedPid));
    t.equal(credentialOf(app, instanceId), credential, 'with the credential it enrolled with');
    t.equal((await instanceEventTypes(app, instanceId)).filter((type) => type === 'instance.agent_registered').length, 1, 'it did not enrol again');
    t.same(await allowedActions(app, instanceId), ['change_spec', 'suspend', 'destroy', 'backup', 'restart']);
  },
);

t.test(
  'given a running instance, when restarted, its agent process is replaced, beats again with its credential, and the instance stays running',
  async (t) => {
    const app = await startFleet(t, temporal);
    const instanceId = await deployRunning(app);
    const before = agentPid(app, instanceId);
    const credential = credentialOf(app, instanceId);
    const requested = await app.call('POST', `/api/v1/instances/${instanceId}/restart`);
    t.equal(requested.status, 202);
    t.equal(requested.body.pending, 'restart');
    await waitForInstance(app, instanceId, 'running');
    t.same((await instanceEventTypes(app, instanceId)).slice(-2), ['instance.restart_requested', 'instance.restarted']);
    const after = agentPid(app, instanceId);
    t.not(after, before, 'another agent process');
    t.notOk(processRuns(before), 'the old one is gone');
    t.equal(credentialOf(app, instanceId), credential, 'the same credential');
    const since = Date.now();
    await eventually('a heartbeat from the new process', async () => {
      const metrics = (await instanceOf(app, instanceId)).metrics;
      return metrics && Date.parse(metrics.at) > since;
    });
    t.same(await allowedActions(app, instanceId), ['change_spec', 'suspend', 'destroy', 'backup', 'restart']);
  },
);

t.test('given a running instance, when backed up, the backup completes with its location and size, and holds the instance state', async (t) => {
  const app = await startFleet(t, temporal);
  const instanceId = await deployRunning(app);
  const requested = await app.call('POST', `/api/v1/instances/${instanceId}/backup`);
  t.equal(requested.status, 202);
  const backupId = requested.body.backup_id as string;
  const backup = await eventually('backup completed', async () =>
    (await instanceOf(app, instanceId)).backups.find((b: { backup_id: string; status: string }) => b.backup_id === backupId && b.status === 'completed'),
  );
  t.match(backup, { location: String, size_bytes: Number, error: null, finished_at: String });
  t.ok(backup.size_bytes > 0);
  t.ok(statSync(backup.location).isDirectory(), 'the backup directory exists');
  const files = readdirSync(backup.location);
  t.ok(files.includes('agent-config.json') && files.includes('credential'), 'with the agent configuration and credential');
  t.notOk(files.includes('agent.pid'), 'but not the provider bookkeeping');
});

t.test('given a running instance, when destroyed with a backup first, it is backed up, then destroyed, and its credential is refused', async (t) => {
  const app = await startFleet(t, temporal);
  const instanceId = await deployRunning(app);
  const pid = agentPid(app, instanceId);
  const credential = credentialOf(app, instanceId);
  const heartbeat = () =>
    app.call('POST', '/api/v1/agent/heartbeat', { key: credential, body: { configuration: { provider: 'local', skills: [], settings: {} } } });
  t.equal((await heartbeat()).status, 200, 'the credential works while the instance lives');

  t.equal((await app.call('POST', `/api/v1/instances/${instanceId}/destroy`, { body: { backup_first: true } })).status, 202);
  const destroyed = await waitForInstance(app, instanceId, 'destroyed');
  t.match(destroyed.backups, [{ backup_id: 'before-destroy', status: 'completed', location: String }]);
  t.ok(existsSync(destroyed.backups[0].location), 'the final backup is kept');
  const types = await instanceEventTypes(app, instanceId);
  t.ok(types.indexOf('instance.backup_completed') < types.indexOf('instance.destroyed'), 'backed up before destroyed');
  t.notOk(processRuns(pid), 'the agent is gone');
  t.notOk(existsSync(instanceDir(app, instanceId)), 'its directory is moved aside');
  t.same(await allowedActions(app, instanceId), []);
  const refused = await heartbeat();
  t.equal(refused.status, 401);
  t.match(refused.body.error, { type: 'authentication_error', code: 'invalid_credential' });
});

t.test('given two running instances, when suspended in bulk, both agents stop', async (t) => {
  const app = await startFleet(t, temporal);
  const ids = [await deployRunning(app, {}, 'one'), await deployRunning(app, {}, 'two')];
  const pids = ids.map((id) => agentPid(app, id));
  const bulk = await app.call('POST', '/api/v1/instances/bulk', { body: { action: 'suspend', instance_ids: ids } });
  t.equal(bulk.status, 200);
  t.match(
    bulk.body.results,
    ids.map((id) => ({ instance_id: id, status: 202 })),
  );
  for (const id of ids) await waitForInstance(app, id, 'suspended');
  await eventually('both agents gone', async () => pids.every((pid) => !processRuns(pid)));
  t.pass('both suspended');
});

t.test(
  'given an agent that stops beating, its instance turns unhealthy and an alert is raised; once it beats again, it is healthy and the alert resolved',
  async (t) => {
    const app = await startFleet(t, temporal);
    // The team's default no_heartbeat rule allows 60 s of silence; 3 s here (heartbeats every second).
    const [rule] = (await app.call('GET', '/api/v1/alert-rules?kind=no_heartbeat')).body.data;
    t.equal((await app.call('PATCH', `/api/v1/alert-rules/${rule.id}`, { body: { condition: { kind: 'no_heartbeat', seconds: 3 } } })).status, 200);
    const instanceId = await deployRunning(app);
    const pid = agentPid(app, instanceId);
    process.kill(pid, 'SIGSTOP');
    t.teardown(() => {
      if (processRuns(pid)) process.kill(pid, 'SIGCONT');
    });
    await eventually('instance unhealthy', async () => (await instanceOf(app, instanceId)).health === 'unhealthy');
    const alertsOfInstance = async () => (await app.call('GET', `/api/v1/alerts?subject_id=${instanceId}`)).body.data;
    const [raised] = await eventually('alert raised', async () => {
      const alerts = await alertsOfInstance();
      return alerts.length > 0 && alerts;
    });
    t.match(raised, {
      rule: 'no_heartbeat',
      rule_id: rule.id,
      severity: 'high',
      status: 'open',
      subject: { type: 'instance', id: instanceId },
      message: /sent no heartbeat for \d+ s \(the rule allows 3 s\)/,
    });

    process.kill(pid, 'SIGCONT');
    await eventually('instance healthy', async () => (await instanceOf(app, instanceId)).health === 'healthy');
    const resolved = await eventually('alert resolved', async () => {
      const [alert] = await alertsOfInstance();
      return alert?.status === 'resolved' && alert;
    });
    t.match(resolved, { id: raised.id, resolved_by: { type: 'system', id: 'alert-rules' }, resolution_reason: 'the condition cleared' });
    t.equal((await alertsOfInstance()).length, 1, 'one alert for the one spell');
  },
);
