import t from 'tap';
import { agentCanApply, autoApproves, remediationPlan, type DriftItem } from '../../../domain/drift/index.js';

const item = (kind: DriftItem['kind'], path: string, expected: unknown = null, actual: unknown = null): DriftItem => ({
  kind,
  path,
  severity: 'low',
  expected,
  actual,
});

t.test('each difference the agent can fix has its action; settings are named, never valued', async (t) => {
  t.strictSame(
    remediationPlan([
      item('skill_missing', 'skills.git', '2.1'),
      item('skill_version_mismatch', 'skills.browser', '1.0', '0.9'),
      item('skill_undeclared', 'skills.python', null, '3.12'),
      item('skill_enabled_but_disabled', 'skills.shell'),
      item('runtime_version_mismatch', 'runtime_version', '1.4.0', '1.3.0'),
      item('setting_missing', 'settings.log.level', 'debug'),
      item('setting_mismatch', 'settings.api_token'),
    ]),
    [
      { action: 'install_skill', name: 'git', version: '2.1' },
      { action: 'install_skill', name: 'browser', version: '1.0' },
      { action: 'disable_skill', name: 'python' },
      { action: 'disable_skill', name: 'shell' },
      { action: 'set_runtime_version', version: '1.4.0' },
      { action: 'set_setting', name: 'log.level' },
      { action: 'set_setting', name: 'api_token' },
    ],
  );
});

t.test('given skill parameters that differ, then the plan configures the skill with the desired parameters, after installing it', async (t) => {
  t.strictSame(
    remediationPlan([
      item('skill_missing', 'skills.git', '2.1'),
      item('skill_parameters_mismatch', 'skills.git', { depth: 1 }, {}),
      item('skill_parameters_mismatch', 'skills.browser', {}, { headless: true }),
    ]),
    [
      { action: 'install_skill', name: 'git', version: '2.1' },
      { action: 'configure_skill', name: 'git', parameters: { depth: 1 } },
      { action: 'configure_skill', name: 'browser', parameters: {} },
    ],
  );
});

t.test('resources, region and provider are escalated with what differs', async (t) => {
  const plan = remediationPlan([item('region_mismatch', 'resources.region', 'eu-west', null), item('cpus_below', 'resources.cpus', 8, 2)]);
  t.match(plan, [
    { action: 'escalate', reason: 'resources.region: region_mismatch cannot be fixed by the agent (expected "eu-west", reported null)' },
    { action: 'escalate', reason: /resources\.cpus.*expected 8, reported 2/ },
  ]);
  t.notOk(agentCanApply(plan), 'nothing in it is for the agent');
  t.ok(agentCanApply([...plan, { action: 'disable_skill', name: 'x' }]));
});

t.test('a policy approves drifts at most as severe as its level; none approves nothing, critical is never approved', async (t) => {
  t.ok(autoApproves('low', 'low'));
  t.notOk(autoApproves('low', 'medium'));
  t.ok(autoApproves('high', 'medium'));
  t.notOk(autoApproves('high', 'critical'));
  t.notOk(autoApproves('none', 'low'));
});
