import t from 'tap';
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
