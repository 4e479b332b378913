import t from 'tap';
import { teamCollection } from '../../projections/access/access-projector.js';
import { startTestBosun } from './harness.js';

t.test('the team policy: auto-provisioning off by default, set and cleared with PUT, validated by field', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  t.match(await app.call('GET', '/api/v1/team/policy'), { status: 200, body: { drift_auto_approve_max_severity: 'low', auto_provision: null } });

  const on = { drift_auto_approve_max_severity: 'low', auto_provision: { provider: 'local', max_instances: 3 } };
  t.match(await app.call('PUT', '/api/v1/team/policy', { body: on }), { status: 200, body: on });
  t.match(await app.call('GET', '/api/v1/team/policy'), { body: on });

  t.match(
    await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'low' } }),
    { status: 200, body: { auto_provision: null } },
    'PUT replaces the policy: left out is off',
  );

  for (const [auto_provision, param] of [
    [{ provider: 'local', max_instances: 0 }, 'auto_provision'],
    [{ provider: 'local' }, 'auto_provision'],
    ['local', 'auto_provision'],
  ] as const) {
    const refused = await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'low', auto_provision } });
    t.match(refused, { status: 400, body: { error: { type: 'invalid_request_error', param: new RegExp(`^${param}`) } } }, JSON.stringify(auto_provision));
  }
  t.match(await app.call('GET', '/api/v1/team/policy'), { body: { auto_provision: null } }, 'nothing refused was stored');
});

t.test('the publication and webhook switches: off by default, on with PUT, off again when left out, shown to the team read model', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const off = { public_skill_catalog: false, public_badges: false, allow_private_webhook_targets: false };
  t.match(await app.call('GET', '/api/v1/team/policy'), { status: 200, body: off });

  const on = { drift_auto_approve_max_severity: 'low', public_skill_catalog: true, public_badges: true, allow_private_webhook_targets: true };
  const put = await app.call('PUT', '/api/v1/team/policy', { body: on });
  t.match(put, { status: 200, body: on });
  t.match(await app.call('GET', '/api/v1/team/policy'), { body: on });
  const teamId = (await app.call('GET', '/api/v1/team')).body.id as string;
  t.ok(await app.bosun.readSide.waitFor(put.body.position, 5000), 'the read models caught up');
  t.match(
    await teamCollection(app.bosun.readStore).get(teamId),
    { public_skill_catalog: true, public_badges: true },
    'the team read model carries what is public',
  );

  t.match(await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'low' } }), { status: 200, body: off }, 'left out is off');
  t.match(await app.call('PUT', '/api/v1/team/policy', { body: { ...on, public_badges: 'yes' } }), {
    status: 400,
    body: { error: { type: 'invalid_request_error', param: /^public_badges/ } },
  });
  t.match(await app.call('GET', '/api/v1/team/policy'), { body: off }, 'nothing refused was stored');
});
