import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { TestBosun } from '../api/harness.js';
import { deployRunning, eventually, recordHistory, sharedTemporal, startFleet } from './fleet-harness.js';

const temporal = await sharedTemporal(t);

const spec = { runtime_version: '1.0.0', skills: [{ name: 'git', version: '2.1.0' }], settings: { log_level: 'info', api_token: 'first-s3cret' } };

type AgentConfig = {
  runtime_version: string;
  skills: { name: string; version: string; enabled: boolean }[];
  settings: Record<string, unknown>;
  region: string | null;
};

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => join(dir, file))
    .filter((file) => statSync(file).isFile());
const configPath = (app: TestBosun, instanceId: string) => join(app.dataDir, 'instances', instanceId, 'agent-config.json');
const readConfig = (app: TestBosun, instanceId: string): AgentConfig => JSON.parse(readFileSync(configPath(app, instanceId), 'utf8')) as AgentConfig;
/** Behind the agent's back, as an operator with a shell would; renamed into place so the agent never reads half a file. */
const editConfig = (app: TestBosun, instanceId: string, edit: (config: AgentConfig) => AgentConfig): void => {
  const path = configPath(app, instanceId);
  writeFileSync(`${path}.edit`, JSON.stringify(edit(readConfig(app, instanceId))));
  renameSync(`${path}.edit`, path);
};

const driftsOf = async (app: TestBosun, instanceId: string) => (await app.call('GET', `/api/v1/drift-events?instance_id=${instanceId}`)).body.data as any[];
const driftEvents = async (app: TestBosun, instanceId: string) => (await app.bosun.events.readStream(`drift-${instanceId}`)).map((event) => event.type);
/** The instance's one drift once `ready` holds of it. */
const driftWhen = (app: TestBosun, instanceId: string, what: string, ready: (drift: any) => boolean, ms?: number) =>
  eventually(what, async () => (await driftsOf(app, instanceId)).find(ready), ms);

t.test('drift remediation end to end, with the reference agent and its agent-config.json', async (t) => {
  const app = await startFleet(t, temporal);

  t.test("an undeclared skill enabled behind the agent's back (low) is remediated under the default policy and verified by the next snapshot", async (t) => {
    const instanceId = await deployRunning(app, spec, 'low');
    editConfig(app, instanceId, (config) => ({ ...config, skills: [...config.skills, { name: 'python', version: '3.12', enabled: true }] }));
    const drift = await driftWhen(app, instanceId, 'the drift resolved', (d) => d.status === 'resolved');
    t.match(drift, {
      severity: 'low',
      items: [{ kind: 'skill_undeclared', path: 'skills.python' }],
      plan: { actions: [{ action: 'disable_skill', name: 'python' }], approval: { automatic: true } },
      verified_by: 'remediation',
    });
    t.match(
      readConfig(app, instanceId).skills,
      [
        { name: 'git', enabled: true },
        { name: 'python', enabled: false },
      ],
      'the file is fixed',
    );
    const task = (await app.call('GET', `/api/v1/tasks/${drift.remediation.task_id}`)).body;
    t.match(task, { kind: 'config.apply', status: 'completed', instance_id: instanceId, outputs: { applied: 1 } });
    t.same(
      (await driftEvents(app, instanceId)).filter((type) => type !== 'drift.snapshot_recorded'),
      ['drift.detected', 'drift.remediation_proposed', 'drift.remediation_approved', 'drift.remediation_started', 'drift.resolved'],
    );
    await recordHistory(temporal, `drift-${instanceId}`, 'drift-auto-remediated');
  });

  t.test('a skill version changed in the file (medium) waits for an operator; approved, the agent puts it back', async (t) => {
    const instanceId = await deployRunning(app, spec, 'medium');
    editConfig(app, instanceId, (config) => ({ ...config, skills: [{ name: 'git', version: '2.0.0', enabled: true }] }));
    const proposed = await driftWhen(app, instanceId, 'a plan proposed', (d) => d.plan !== null);
    t.match(proposed, {
      status: 'open',
      severity: 'medium',
      items: [{ kind: 'skill_version_mismatch', expected: '2.1.0', actual: '2.0.0' }],
      plan: { approval: null },
    });
    await sleep(1500);
    t.equal((await driftsOf(app, instanceId))[0].status, 'open', 'nothing runs without approval');
    const approved = await app.call('POST', `/api/v1/drift-events/${proposed.id}/remediation/approve`, { body: {} });
    t.equal(approved.status, 200);
    await driftWhen(app, instanceId, 'the drift resolved', (d) => d.status === 'resolved' && d.verified_by === 'remediation');
    t.equal(readConfig(app, instanceId).skills[0]?.version, '2.1.0');
  });

  t.test('a changed desired spec (a new skill, a new secret) is remediated too, the secret reaching the agent and no task or drift event', async (t) => {
    const instanceId = await deployRunning(app, spec, 'respec');
    const patched = await app.call('PATCH', `/api/v1/instances/${instanceId}`, {
      body: {
        spec: {
          skills: [
            { name: 'git', version: '2.1.0' },
            { name: 'browser', version: '1.0.0' },
          ],
          settings: { api_token: 'second-s3cret' },
        },
      },
    });
    t.equal(patched.status, 200);
    const proposed = await driftWhen(app, instanceId, 'a plan for both differences', (d) => d.plan?.actions.length === 2);
    t.match(proposed, {
      severity: 'high',
      items: [
        { kind: 'skill_missing', path: 'skills.browser', expected: '1.0.0' },
        { kind: 'setting_mismatch', path: 'settings.api_token', expected: null, actual: null },
      ],
      plan: {
        actions: [
          { action: 'install_skill', name: 'browser', version: '1.0.0' },
          { action: 'set_setting', name: 'api_token' },
        ],
      },
    });
    t.equal((await app.call('POST', `/api/v1/drift-events/${proposed.id}/remediation/execute`, { body: {} })).status, 202);
    const resolved = await driftWhen(app, instanceId, 'the drift resolved', (d) => d.status === 'resolved');
    const config = readConfig(app, instanceId);
    t.match(config.skills, [{ name: 'git' }, { name: 'browser', version: '1.0.0', enabled: true }]);
    t.equal(config.settings.api_token, 'second-s3cret', 'the agent asked for the secret and set it');
    const task = (await app.call('GET', `/api/v1/tasks/${resolved.remediation.task_id}`)).body;
    t.same(task.input.actions[1], { action: 'set_setting', name: 'api_token' }, 'the task names the secret setting only');
    const leaks = [...(await app.bosun.events.readStream(`drift-${instanceId}`)), ...(await app.bosun.events.readStream(`task-${task.id}`))];
    t.notMatch(JSON.stringify(leaks), /s3cret/, 'no secret value in drift or task events');
    t.equal(statSync(configPath(app, instanceId)).mode & 0o777, 0o600, "the agent's configuration, which holds the value, is its owner's only");
    // The log, the read models, the key store and Temporal's histories (where instance events are forwarded) hold ciphertext only.
    const stored = [...filesUnder(app.dataDir).filter((file) => !file.includes(`${sep}instances${sep}`)), ...filesUnder(dirname(temporal.logFile))];
    t.ok(stored.some((file) => file.endsWith('events.sqlite')) && stored.some((file) => file.includes('temporal.sqlite')));
    t.same(
      stored.filter((file) => /s3cret/.test(readFileSync(file, 'latin1'))),
      [],
      'no stored file holds a secret value',
    );
  });

  t.test('a region the agent cannot change is escalated at once, with no task', async (t) => {
    const instanceId = await deployRunning(app, spec, 'region');
    await app.call('PATCH', `/api/v1/instances/${instanceId}`, { body: { spec: { resources: { region: 'eu-west' } } } });
    const escalated = await driftWhen(app, instanceId, 'the drift escalated', (d) => d.status === 'escalated');
    t.match(escalated, {
      severity: 'high',
      items: [{ kind: 'region_mismatch', expected: 'eu-west', actual: null }],
      plan: { actions: [{ action: 'escalate' }], approval: null },
      remediation: null,
      escalation_reason: /region_mismatch cannot be fixed by the agent/,
      allowed_actions: ['dismiss'],
    });
  });

  t.test('a remediation that fixes only part of the drift fails verification and is escalated', async (t) => {
    const instanceId = await deployRunning(app, spec, 'partial');
    editConfig(app, instanceId, (config) => ({ ...config, runtime_version: '0.9.0' }));
    await app.call('PATCH', `/api/v1/instances/${instanceId}`, { body: { spec: { resources: { region: 'eu-west' } } } });
    const proposed = await driftWhen(app, instanceId, 'a plan for both differences', (d) => d.status === 'open' && d.plan?.actions.length === 2);
    t.match(proposed.plan.actions, [{ action: 'set_runtime_version', version: '1.0.0' }, { action: 'escalate' }]);
    t.equal((await app.call('POST', `/api/v1/drift-events/${proposed.id}/remediation/approve`, { body: {} })).status, 200);
    const failed = await driftWhen(app, instanceId, 'the remediation failed', (d) => d.status === 'escalated');
    t.match(failed, { items: [{ kind: 'region_mismatch' }], remediation: { failed_at: String, failure_reason: /still differs|no snapshot matched/ } });
    t.equal(readConfig(app, instanceId).runtime_version, '1.0.0', 'what the agent could fix, it fixed');
    await recordHistory(temporal, `drift-${instanceId}`, 'drift-remediation-failed');
  });

  t.test('the same difference over many heartbeats opens one drift; dismissed, it opens none again', async (t) => {
    const instanceId = await deployRunning(app, spec, 'repeat');
    editConfig(app, instanceId, (config) => ({ ...config, runtime_version: '0.9.0' }));
    const opened = await driftWhen(app, instanceId, 'a plan proposed', (d) => d.plan !== null);
    await sleep(5000);
    t.equal((await driftEvents(app, instanceId)).filter((type) => type === 'drift.detected').length, 1, 'five heartbeats later, still one drift');
    t.equal((await driftsOf(app, instanceId)).length, 1);
    const dismissed = await app.call('POST', `/api/v1/drift-events/${opened.id}/dismiss`, { body: { reason: '0.9 is fine on this box' } });
    t.equal(dismissed.status, 200);
    await sleep(3000);
    t.equal((await driftEvents(app, instanceId)).filter((type) => type === 'drift.detected').length, 1, 'the accepted difference opens nothing');
    t.match((await app.call('GET', '/api/v1/drift/summary')).body, { object: 'drift_summary', by_status: { dismissed: 1 } });
  });
});
