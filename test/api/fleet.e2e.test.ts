import t from 'tap';
import { driftDriver, matchingConfiguration } from './drift-driver.js';
import { createOtherTeam, startTestBosun } from './harness.js';

const plainKey = 'sk-proj-abcdefghijklmnopqrstuvwx';

t.test('fleet stats, security scores and their public badges', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drift = driftDriver(app);

  // Given a risky instance (shell on, a credential under a plain name, an old runtime, drifting) and a clean newer one...
  const risky = await drift.enrol(
    { runtime_version: '1.0.0', skills: [{ name: 'git', version: '2.1.0' }], settings: { allow_shell: true, openai: plainKey } },
    'risky',
  );
  await drift.enrol({ runtime_version: '2.0.0', skills: [], settings: {} }, 'clean');
  t.equal(
    (await risky.heartbeat({ ...matchingConfiguration, skills: [], settings: { allow_shell: true, openai: plainKey } })).status,
    200,
    'the risky agent reports git missing',
  );
  await drift.settle();
  await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } });
  await drift.settle();

  await t.test('when the score is asked for, then each risk is a reason, worst first, and the score is what they leave', async (t) => {
    const { status, body } = await app.call('GET', `/api/v1/instances/${risky.instanceId}/security-score`);
    t.equal(status, 200);
    const codes = (body.reasons as { code: string }[]).map((reason) => reason.code);
    t.same([...codes].sort(), ['open_drift_high', 'plain_secrets', 'runtime_behind', 'shell_allowed'].sort(), JSON.stringify(body.reasons));
    const penalties = (body.reasons as { penalty: number }[]).map((reason) => reason.penalty);
    t.same(
      penalties,
      [...penalties].sort((a, b) => b - a),
      'worst first',
    );
    t.equal(body.score, 100 - penalties.reduce((sum, n) => sum + n, 0));
    t.match(body, { object: 'security_score', instance_id: risky.instanceId, grade: /^[A-F]$/ });
    t.notOk(JSON.stringify(body).includes(plainKey), 'the credential itself is not repeated');
  });

  await t.test('when the fleet stats are asked for, then instances, tasks, alerts and drift are counted', async (t) => {
    const { status, body } = await app.call('GET', '/api/v1/fleet/stats?window=1h');
    t.equal(status, 200);
    t.match(body, {
      object: 'fleet_stats',
      window: '1h',
      instances: { total: 2, by_provider: { local: 2 } },
      tasks: { total: 1 },
      drift: { open_by_severity: { high: 1 } },
    });
    t.equal(
      Object.values(body.tasks.by_status as Record<string, number>).reduce((a, b) => a + b, 0),
      1,
    );
    t.equal(
      Object.values(body.instances.by_health as Record<string, number>).reduce((a, b) => a + b, 0),
      2,
    );
    t.match(await app.call('GET', '/api/v1/fleet/stats?window=2h'), { status: 400, body: { error: { param: /window/ } } });
  });

  await t.test('given badges unpublished, when anyone asks without a key, then 404; once published, an SVG and a shields.io endpoint', async (t) => {
    const svg = `${app.bosun.url}/api/v1/badges/instances/${risky.instanceId}/security-score.svg`;
    const json = `${app.bosun.url}/api/v1/badges/instances/${risky.instanceId}/security-score.json`;
    t.equal((await fetch(svg)).status, 404);
    t.equal((await fetch(json)).status, 404);
    await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'low', public_badges: true } });
    const image = await fetch(svg);
    t.equal(image.status, 200);
    t.match(image.headers.get('content-type'), /^image\/svg\+xml/);
    t.match(await image.text(), /<svg[\s\S]*security/);
    const endpoint = await fetch(json);
    t.match(await endpoint.json(), { schemaVersion: 1, label: 'security', message: /^\d+ [A-F]$/, color: /\w/ });
    t.equal((await fetch(`${app.bosun.url}/api/v1/badges/instances/no-such-instance/security-score.svg`)).status, 404);
  });

  await t.test("given another team, then its keys see none of this team's instances in stats or scores", async (t) => {
    const other = await createOtherTeam(app, 'other');
    t.equal((await app.call('GET', `/api/v1/instances/${risky.instanceId}/security-score`, { key: other })).status, 404);
    t.match(await app.call('GET', '/api/v1/fleet/stats', { key: other }), { status: 200, body: { instances: { total: 0 }, tasks: { total: 0 } } });
  });
});
