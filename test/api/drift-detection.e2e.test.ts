import t from 'tap';
import { driftDriver, matchingConfiguration } from './drift-driver.js';
import { createOtherTeam, startTestBosun } from './harness.js';

const olderGit = { ...matchingConfiguration, skills: [{ name: 'git', version: '2.0.0', enabled: true }] };

t.test('drift detection from heartbeats', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drift = driftDriver(app);

  t.test('a matching snapshot is recorded once, its secret values masked, and opens no drift', async (t) => {
    const agent = await drift.enrol();
    for (let beat = 0; beat < 3; beat++) t.equal((await agent.heartbeat(matchingConfiguration)).status, 200);
    t.same(await drift.driftEvents(agent.instanceId), ['drift.snapshot_recorded']);
    await drift.settle();
    const snapshots = await app.call('GET', `/api/v1/instances/${agent.instanceId}/snapshots`);
    t.equal(snapshots.status, 200);
    t.match(snapshots.body, {
      data: [
        {
          object: 'configuration_snapshot',
          instance_id: agent.instanceId,
          drift_id: null,
          snapshot: { settings: { log_level: 'info', api_token: '[redacted]' } },
        },
      ],
      has_more: false,
    });
    const log = JSON.stringify(await app.bosun.events.readStream(`drift-${agent.instanceId}`));
    t.notMatch(log, /s3cret-token/, 'the secret value never reaches the log');
    t.same((await app.call('GET', `/api/v1/drift-events?instance_id=${agent.instanceId}`)).body.data, []);
  });

  t.test('a differing snapshot opens one drift, however often it repeats; a matching one resolves it', async (t) => {
    const agent = await drift.enrol(undefined, 'repeats');
    await agent.heartbeat(matchingConfiguration);
    for (let beat = 0; beat < 5; beat++) await agent.heartbeat(olderGit);
    t.same(await drift.driftEvents(agent.instanceId), ['drift.snapshot_recorded', 'drift.snapshot_recorded', 'drift.detected']);
    await drift.settle();
    const listed = await app.call('GET', `/api/v1/drift-events?instance_id=${agent.instanceId}`);
    t.equal(listed.body.data.length, 1);
    const [opened] = listed.body.data;
    t.match(opened, {
      object: 'drift_event',
      instance_id: agent.instanceId,
      status: 'open',
      severity: 'medium',
      items: [{ kind: 'skill_version_mismatch', path: 'skills.git', severity: 'medium', expected: '2.1.0', actual: '2.0.0' }],
      allowed_actions: ['execute', 'dismiss'],
    });
    t.same((await app.call('GET', `/api/v1/drift-events/${opened.id}`)).body, opened);

    await agent.heartbeat({ ...olderGit, settings: { log_level: 'debug', api_token: 'other-token' } });
    t.equal((await drift.driftEvents(agent.instanceId)).at(-1), 'drift.changed', 'another difference changes the open drift');
    await agent.heartbeat(matchingConfiguration);
    await drift.settle();
    t.match((await app.call('GET', `/api/v1/drift-events/${opened.id}`)).body, { status: 'resolved', verified_by: 'snapshot', allowed_actions: [] });
    const snapshots = await app.call('GET', `/api/v1/instances/${agent.instanceId}/snapshots?limit=2`);
    t.equal(snapshots.body.data.length, 2);
    t.ok(snapshots.body.has_more, 'newest first, a page at a time');
    t.equal(snapshots.body.data[1].drift_id, opened.id);
  });

  t.test('a changed desired spec is compared from the next heartbeat on', async (t) => {
    const agent = await drift.enrol(undefined, 'respec');
    await agent.heartbeat(matchingConfiguration);
    const patched = await app.call('PATCH', `/api/v1/instances/${agent.instanceId}`, {
      body: {
        spec: {
          skills: [
            { name: 'git', version: '2.1.0' },
            { name: 'browser', version: '1.0' },
          ],
        },
      },
    });
    t.equal(patched.status, 200);
    await agent.heartbeat(matchingConfiguration);
    await drift.settle();
    const [opened] = (await app.call('GET', `/api/v1/drift-events?instance_id=${agent.instanceId}&status=open`)).body.data;
    t.match(opened, { severity: 'high', items: [{ kind: 'skill_missing', path: 'skills.browser', expected: '1.0', actual: null }] });
    t.same(await drift.driftEvents(agent.instanceId), ['drift.snapshot_recorded', 'drift.detected'], 'the same snapshot is not recorded again');
  });

  t.test('lists filter by status and severity, and the summary counts', async (t) => {
    await drift.settle();
    const high = await app.call('GET', '/api/v1/drift-events?severity=high');
    t.ok(high.body.data.length >= 1);
    t.ok(high.body.data.every((d: { severity: string }) => d.severity === 'high'));
    const summary = await app.call('GET', '/api/v1/drift/summary');
    t.match(summary.body, { object: 'drift_summary', by_status: { open: 1, resolved: 1 }, active_by_severity: { high: 1 }, instances_drifting: 1 });
    const bad = await app.call('GET', '/api/v1/drift-events?status=lost');
    t.match(bad, { status: 400, body: { error: { param: 'status' } } });
  });

  t.test('another team sees none of it: 404 and empty lists', async (t) => {
    const otherKey = await createOtherTeam(app, 'elsewhere');
    const [anyDrift] = (await app.call('GET', '/api/v1/drift-events')).body.data;
    t.equal((await app.call('GET', `/api/v1/drift-events/${anyDrift.id}`, { key: otherKey })).status, 404);
    t.equal((await app.call('POST', `/api/v1/drift-events/${anyDrift.id}/dismiss`, { key: otherKey, body: { reason: 'x' } })).status, 404);
    t.equal((await app.call('GET', `/api/v1/instances/${anyDrift.instance_id}/snapshots`, { key: otherKey })).status, 404);
    t.same((await app.call('GET', '/api/v1/drift-events', { key: otherKey })).body.data, []);
    t.match((await app.call('GET', '/api/v1/drift/summary', { key: otherKey })).body, { instances_drifting: 0 });
  });

  t.test('the OpenAPI document publishes the drift API', async (t) => {
    const { paths, components } = (await app.call('GET', '/api/v1/openapi.json', { key: null })).body;
    for (const path of [
      '/instances/{id}/snapshots',
      '/drift-events',
      '/drift-events/{id}',
      '/drift-events/{id}/remediation/approve',
      '/drift-events/{id}/remediation/execute',
      '/drift-events/{id}/dismiss',
      '/drift/summary',
      '/team/policy',
    ]) {
      t.ok(paths[path], path);
    }
    t.ok(components.schemas.DriftEvent);
  });

  t.test('an agent reads the desired values of its own settings, secret ones included, and nothing else', async (t) => {
    const agent = await drift.enrol(undefined, 'secretive');
    t.match(await agent.call('GET', '/settings/api_token'), { status: 200, body: { name: 'api_token', value: 's3cret-token' } });
    t.match(await agent.call('GET', '/settings/nope'), { status: 404, body: { error: { type: 'not_found_error' } } });
    t.equal((await app.call('GET', '/api/v1/agent/settings/api_token')).status, 401, 'an API key is not an instance credential');
  });
});
