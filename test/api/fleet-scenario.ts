import { driftDriver, matchingConfiguration } from './drift-driver.js';
import { createOtherTeam, type TestBosun } from './harness.js';
import { instanceDriver } from './instance-driver.js';
import { taskDriver } from './task-driver.js';

export type FleetScenario = {
  readonly otherKey: string;
  readonly tasks: readonly string[];
  readonly instances: readonly string[];
  /** Position of the last event written. */
  readonly head: number;
};

/**
 * A log with every category in it, as a small fleet leaves it: two teams, tasks at every
 * stage, instances provisioned and unhealthy (raising alerts), skill catalogs with a skill
 * installed, a webhook pinged once, a drifting instance, and alerts about the silent ones.
 * Workflows do not run in API tests: drivers issue their commands.
 */
export const populateFleet = async (app: TestBosun, tasksPerTeam = 6): Promise<FleetScenario> => {
  const otherKey = await createOtherTeam(app, `other-${Math.random().toString(36).slice(2, 8)}`);
  const issued = await app.call('POST', '/api/v1/api-keys', { body: { name: 'short-lived', role: 'viewer' }, headers: { 'Idempotency-Key': 'scenario-key' } });
  await app.call('POST', `/api/v1/api-keys/${issued.body.id as string}/revoke`);
  const ids: string[] = [];
  for (let n = 0; n < tasksPerTeam; n++) {
    for (const key of [undefined, otherKey]) {
      const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { n, note: `task ${n}` } }, ...(key ? { key } : {}) });
      if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
      ids.push(submitted.body.id as string);
    }
  }
  await moveTasks(app, ids);

  const instances = instanceDriver(app);
  const instanceIds: string[] = [];
  for (const name of ['alpha', 'beta']) {
    const deployed = await app.call('POST', '/api/v1/instances', { body: { name, provider: 'local', spec: { skills: [{ name: 'git', version: '2.1.0' }] } } });
    if (deployed.status !== 202) throw new Error(`deploy answered ${deployed.status}: ${JSON.stringify(deployed.body)}`);
    instanceIds.push(deployed.body.id as string);
    await instances.provision(deployed.body.id as string);
  }
  await instances.execute(instanceIds[0] as string, { type: 'ChangeHealth', health: 'unhealthy', reason: 'no heartbeat for 15 s' });

  // A skill catalog in each team, one version deprecated, one installed with parameters.
  for (const [version, key] of [['2.1.0'], ['2.2.0'], ['1.0.0', otherKey]] as const) {
    const body = { name: 'git', version, description: 'Clones repositories', category: 'vcs', tags: ['git'], parameters_schema: { type: 'object' } };
    const published = await app.call('POST', '/api/v1/skills', { body, ...(key ? { key } : {}) });
    if (published.status !== 201) throw new Error(`publish answered ${published.status}: ${JSON.stringify(published.body)}`);
  }
  await app.call('POST', '/api/v1/skills/git/versions/2.2.0/deprecate', { body: { reason: 'broken' } });
  const installed = await app.call('POST', `/api/v1/instances/${instanceIds[1] as string}/skills`, {
    body: { name: 'git', version: '^2', parameters: { depth: 1 } },
  });
  if (installed.status !== 200) throw new Error(`install answered ${installed.status}: ${JSON.stringify(installed.body)}`);

  // A webhook with one delivery asked for by hand (no workflow runs it here).
  const webhook = await app.call('POST', '/api/v1/webhooks', { body: { url: 'https://93.184.215.14/hooks', event_types: ['skill.published'] } });
  if (webhook.status !== 201) throw new Error(`webhook create answered ${webhook.status}: ${JSON.stringify(webhook.body)}`);
  const ping = await app.call('POST', `/api/v1/webhooks/${webhook.body.id as string}/ping`, { body: {} });
  if (ping.status >= 300) throw new Error(`ping answered ${ping.status}: ${JSON.stringify(ping.body)}`);

  const drift = driftDriver(app);
  const agent = await drift.enrol(undefined, 'drifty');
  instanceIds.push(agent.instanceId);
  await agent.heartbeat({ ...matchingConfiguration, runtime_version: '0.9.0' });
  await raiseSilenceAlerts(app, instanceIds.length);
  await drift.settle();
  return { otherKey, tasks: ids, instances: instanceIds, head: await app.bosun.events.headPosition() };
};

/** Tasks at every stage: completed, running with progress, failed, cancelled, and some left pending. */
const moveTasks = async (app: TestBosun, ids: readonly string[]): Promise<void> => {
  const driver = taskDriver(app);
  for (const [index, id] of ids.entries()) {
    if (index % 5 === 4) continue;
    if (index % 5 === 3) {
      await driver.execute(id, { type: 'CancelTask', reason: 'not needed' });
      continue;
    }
    await driver.start(id);
    if (index % 5 === 0) await driver.complete(id, { answer: index });
    if (index % 5 === 1) await driver.progress(id, 40);
    if (index % 5 === 2) await driver.execute(id, { type: 'FailTask', error: { code: 'boom', message: 'it broke' }, retryable: false });
  }
};

/**
 * A rule of the team that every agentless instance trips within a second, in place of the
 * default one (60 s, which would fire later, in the middle of a test); waits until it has
 * raised its `count` alerts, after which the log stays as it is.
 */
const raiseSilenceAlerts = async (app: TestBosun, count: number): Promise<void> => {
  const defaults = await app.call('GET', '/api/v1/alert-rules?kind=no_heartbeat');
  for (const rule of defaults.body.data) await app.call('POST', `/api/v1/alert-rules/${rule.id as string}/disable`);
  const created = await app.call('POST', '/api/v1/alert-rules', {
    body: { name: 'silent agents', condition: { kind: 'no_heartbeat', seconds: 1 }, severity: 'high' },
  });
  if (created.status !== 201) throw new Error(`rule not created: ${JSON.stringify(created.body)}`);
  for (let waited = 0; waited < 10_000; waited += 50) {
    if ((await app.call('GET', `/api/v1/alerts?rule_id=${created.body.id as string}`)).body.data.length === count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the silence rule did not raise ${count} alerts`);
};
