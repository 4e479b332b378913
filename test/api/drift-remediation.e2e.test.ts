import t from 'tap';
import { driftDriver, matchingConfiguration } from './drift-driver.js';
import { startTestBosun } from './harness.js';

const olderGit = { ...matchingConfiguration, skills: [{ name: 'git', version: '2.0.0', enabled: true }] };
const inRegion = { ...matchingConfiguration, resources: { ...matchingConfiguration.resources, region: 'us-east' } };

t.test('operators approve, execute and dismiss remediations', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drift = driftDriver(app);

  /** An instance whose heartbeat just opened a drift; its id and the drift as the API shows it. */
  const drifting = async (name: string) => {
    const agent = await drift.enrol(undefined, name);
    await agent.heartbeat(olderGit);
    await drift.settle();
    const [opened] = (await app.call('GET', `/api/v1/drift-events?instance_id=${agent.instanceId}`)).body.data;
    return { agent, driftId: opened.id as string };
  };

  t.test("If-Match names the drift event's own revision: writes of its stream that leave it alone do not fail it; a change of it does", async (t) => {
    const { agent, driftId } = await drifting('if-match');
    const seen = await app.call('GET', `/api/v1/drift-events/${driftId}`);
    const tag = seen.headers.get('etag') as string;
    t.equal(tag, `"${seen.body.revision}"`);
    // A new snapshot with the same differences: the drift stream grows, the drift does not change.
    await agent.heartbeat({ ...olderGit, resources: { ...olderGit.resources, cpus: 8 } });
    await drift.settle();
    t.ok((await drift.driftEvents(agent.instanceId)).length > seen.body.revision + 1, 'the stream moved past the drift');
    t.equal((await app.call('GET', `/api/v1/drift-events/${driftId}`)).body.revision, seen.body.revision, 'the drift did not');

    await drift.execute(agent.instanceId, { type: 'ProposeRemediation', driftId, plan: [{ action: 'install_skill', name: 'git', version: '2.1.0' }] });
    const stale = await app.call('POST', `/api/v1/drift-events/${driftId}/remediation/approve`, { body: {}, headers: { 'if-match': tag } });
    t.match(stale, { status: 412, body: { error: { code: 'precondition_failed', param: 'If-Match' } } }, 'a plan proposed since it was read');
    await drift.settle();
    const current = (await app.call('GET', `/api/v1/drift-events/${driftId}`)).headers.get('etag') as string;
    await agent.heartbeat({ ...olderGit, resources: { ...olderGit.resources, cpus: 16 } });
    const dismissed = await app.call('POST', `/api/v1/drift-events/${driftId}/dismiss`, { body: { reason: 'known' }, headers: { 'if-match': current } });
    t.match(dismissed, { status: 200, body: { status: 'dismissed' } }, 'a snapshot recorded since does not make it fail');
  });

  t.test('approve: the proposed plan is approved by the operator, once, with the resulting position', async (t) => {
    const { agent, driftId } = await drifting('approve-me');
    const early = await app.call('POST', `/api/v1/drift-events/${driftId}/remediation/approve`, { body: {} });
    t.match(early, { status: 400, body: { error: { code: 'no_plan' } } }, 'nothing to approve before a plan is proposed');
    await drift.execute(agent.instanceId, { type: 'ProposeRemediation', driftId, plan: [{ action: 'install_skill', name: 'git', version: '2.1.0' }] });
    const headers = { 'idempotency-key': `approve-${driftId}` };
    const approved = await app.call('POST', `/api/v1/drift-events/${driftId}/remediation/approve`, { body: {}, headers });
    t.equal(approved.status, 200);
    t.match(approved.body, {
      object: 'drift_event',
      status: 'open',
      plan: { actions: [{ action: 'install_skill' }], approval: { automatic: false } },
      allowed_actions: ['approve', 'execute', 'dismiss'],
    });
    t.ok(approved.body.position > 0);
    const replayed = await app.call('POST', `/api/v1/drift-events/${driftId}/remediation/approve`, { body: {}, headers });
    t.equal(replayed.headers.get('idempotency-replayed'), 'true');
    t.same(replayed.body, approved.body);
    t.same(
      (await drift.driftEvents(agent.instanceId)).filter((type) => type === 'drift.remediation_approved'),
      ['drift.remediation_approved'],
    );
    const read = await app.call('GET', `/api/v1/drift-events/${driftId}`, { headers: { 'x-min-position': String(approved.body.position) } });
    t.same(read.body, approved.body, 'read your write');
  });

  t.test('execute: plans from the items and approves at once; refused while remediating', async (t) => {
    const { agent, driftId } = await drifting('execute-me');
    const executed = await app.call('POST', `/api/v1/drift-events/${driftId}/remediation/execute`, { body: {} });
    t.equal(executed.status, 202);
    t.match(executed.body, { plan: { actions: [{ action: 'install_skill', name: 'git', version: '2.1.0' }], approval: { automatic: false } } });
    await drift.execute(agent.instanceId, { type: 'StartRemediation', driftId, taskId: 'task-1' });
    await drift.settle();
    const busy = await app.call('POST', `/api/v1/drift-events/${driftId}/remediation/execute`, { body: {} });
    t.match(busy, { status: 409, body: { error: { type: 'conflict_error', message: /remediating/ } } });
    t.match((await app.call('GET', `/api/v1/drift-events/${driftId}`)).body, {
      status: 'remediating',
      remediation: { task_id: 'task-1' },
      allowed_actions: [],
    });
  });

  t.test('a difference the agent cannot fix is escalated when planned, and cannot be executed', async (t) => {
    const agent = await drift.enrol(undefined, 'far-away');
    await agent.heartbeat(inRegion);
    t.same(await drift.driftEvents(agent.instanceId), ['drift.snapshot_recorded'], 'any region will do until the spec names one');
    await app.call('PATCH', `/api/v1/instances/${agent.instanceId}`, { body: { spec: { resources: { region: 'eu-west' } } } });
    await agent.heartbeat(inRegion);
    await drift.settle();
    const [opened] = (await app.call('GET', `/api/v1/drift-events?instance_id=${agent.instanceId}`)).body.data;
    t.match(opened, { severity: 'high', items: [{ kind: 'region_mismatch', expected: 'eu-west', actual: 'us-east' }] });
    const driftId = opened.id as string;
    await drift.execute(agent.instanceId, { type: 'ProposeRemediation', driftId, plan: [{ action: 'escalate', reason: 'resources.region differs' }] });
    await drift.settle();
    t.match((await app.call('GET', `/api/v1/drift-events/${driftId}`)).body, {
      status: 'escalated',
      escalation_reason: /no action of the agent/,
      allowed_actions: ['dismiss'],
    });
    const refused = await app.call('POST', `/api/v1/drift-events/${driftId}/remediation/execute`, { body: {} });
    t.match(refused, { status: 400, body: { error: { code: 'nothing_to_execute' } } });
  });

  t.test('dismiss: needs a reason; the same difference then opens nothing, and a closed drift refuses actions', async (t) => {
    const { agent, driftId } = await drifting('accepted');
    t.match(await app.call('POST', `/api/v1/drift-events/${driftId}/dismiss`, { body: {} }), { status: 400, body: { error: { param: 'reason' } } });
    const dismissed = await app.call('POST', `/api/v1/drift-events/${driftId}/dismiss`, { body: { reason: 'git 2.0 is fine here' } });
    t.match(dismissed, { status: 200, body: { status: 'dismissed', dismiss_reason: 'git 2.0 is fine here', allowed_actions: [] } });
    await agent.heartbeat(olderGit);
    await agent.heartbeat({ ...olderGit, settings: { ...olderGit.settings, log_level: 'info' } });
    t.notOk((await drift.driftEvents(agent.instanceId)).includes('drift.changed'));
    t.equal((await drift.driftEvents(agent.instanceId)).filter((type) => type === 'drift.detected').length, 1);
    await drift.settle();
    t.match(await app.call('POST', `/api/v1/drift-events/${driftId}/remediation/approve`, { body: {} }), {
      status: 409,
      body: { error: { message: /dismissed/ } },
    });
  });

  t.test('roles: viewers read, operators act', async (t) => {
    const { driftId } = await drifting('guarded');
    const viewer = await app.call('POST', '/api/v1/api-keys', { body: { name: 'drift-viewer', role: 'viewer' } });
    await drift.settle();
    t.equal((await app.call('GET', `/api/v1/drift-events/${driftId}`, { key: viewer.body.key })).status, 200);
    t.equal((await app.call('POST', `/api/v1/drift-events/${driftId}/dismiss`, { key: viewer.body.key, body: { reason: 'x' } })).status, 403);
    t.equal((await app.call('POST', '/api/v1/drift-events/no-such/remediation/approve', { body: {} })).status, 404);
  });
});

t.test('the team policy: low by default, admins change it, anyone in the team reads it', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  t.match(await app.call('GET', '/api/v1/team/policy'), { status: 200, body: { object: 'team_policy', drift_auto_approve_max_severity: 'low' } });
  const changed = await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'high' } });
  t.match(changed, { status: 200, body: { drift_auto_approve_max_severity: 'high' } });
  t.ok(changed.body.position > 0);
  t.match(
    (await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'high' } })).body,
    { position: null },
    'the same policy again writes nothing',
  );
  t.match(await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'critical' } }), {
    status: 400,
    body: { error: { param: 'drift_auto_approve_max_severity' } },
  });
  const operator = await app.call('POST', '/api/v1/api-keys', { body: { name: 'ops', role: 'operator' } });
  await app.bosun.readSide.waitFor(operator.body.position, 5000);
  t.equal((await app.call('PUT', '/api/v1/team/policy', { key: operator.body.key, body: { drift_auto_approve_max_severity: 'none' } })).status, 403);
  t.match((await app.call('GET', '/api/v1/team/policy', { key: operator.body.key })).body, { drift_auto_approve_max_severity: 'high' });
});
