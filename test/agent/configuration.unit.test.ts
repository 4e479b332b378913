import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AgentConfigError, agentConfigPath, configurationSnapshot, maxConcurrentTasks, readAgentConfig, updateAgentConfig } from '../../agent/configuration.js';
import { applyRemediation, parseRemediationActions, type RemediationAction } from '../../agent/remediation.js';
import { agentDir, baseConfig } from './harness.js';

t.test('given the provider wrote agent-config.json, then the snapshot reports it with the machine resources', async (t) => {
  const dir = await agentDir(t, { ...baseConfig, region: 'eu-west-1', resources: { open_ports: [8080] } });
  const snapshot = configurationSnapshot(await readAgentConfig(dir), 'local');
  t.same(snapshot, {
    provider: 'local',
    runtime_version: '1.0.0',
    skills: baseConfig.skills,
    settings: baseConfig.settings,
    resources: { cpus: cpus().length, memory_mb: snapshot.resources.memory_mb, open_ports: [8080], region: 'eu-west-1' },
  });
  t.ok(snapshot.resources.memory_mb > 0);
});

t.test(
  'given a hand edit that lists a skill without enabled, then the snapshot reports it enabled; an entry without a name or version is left out',
  async (t) => {
    const dir = await agentDir(t, {
      ...baseConfig,
      skills: [{ name: 'jq', version: '1.7' }, { name: 'off', version: '1', enabled: false }, { version: '2' }, { name: 'x', version: '1', enabled: 'yes' }],
    });
    const snapshot = configurationSnapshot(await readAgentConfig(dir), 'local');
    t.same(snapshot.skills, [
      { name: 'jq', version: '1.7', enabled: true },
      { name: 'off', version: '1', enabled: false },
    ]);
  },
);

t.test('given no agent-config.json yet, then the snapshot reports an empty configuration', async (t) => {
  const snapshot = configurationSnapshot(await readAgentConfig(await agentDir(t, null)), 'docker');
  t.match(snapshot, { provider: 'docker', runtime_version: null, skills: [], settings: {}, resources: { open_ports: [], region: null } });
});

t.test('given a file that is not a JSON object, then reading it fails naming the file', async (t) => {
  const dir = await agentDir(t, null);
  await writeFile(agentConfigPath(dir), '{"skills": [');
  await t.rejects(readAgentConfig(dir), AgentConfigError);
  await writeFile(agentConfigPath(dir), '[]');
  await t.rejects(readAgentConfig(dir), { message: `${agentConfigPath(dir)}: not a JSON object` });
});

t.test('max_concurrent_tasks defaults to 1 unless a positive whole number', async (t) => {
  t.equal(maxConcurrentTasks({}), 1);
  t.equal(maxConcurrentTasks({ max_concurrent_tasks: 3 }), 3);
  t.equal(maxConcurrentTasks({ max_concurrent_tasks: 0 }), 1);
  t.equal(maxConcurrentTasks({ max_concurrent_tasks: '3' }), 1);
});

t.test('given concurrent updates, then none is lost and no temporary file is left', async (t) => {
  const dir = await agentDir(t);
  await Promise.all(
    Array.from({ length: 20 }, (_, index) =>
      updateAgentConfig(dir, (config) => ({ config: { ...config, settings: { ...(config.settings as object), [`s${index}`]: index } }, result: null })),
    ),
  );
  const settings = (await readAgentConfig(dir)).settings as Record<string, unknown>;
  t.equal(Object.keys(settings).length, 2 + 20);
  t.same(await readdir(dir), ['agent-config.json']);
});

t.test('given each remediation action, then the configuration changes as the docs say', async (t) => {
  const config = { ...baseConfig, skills: [...baseConfig.skills, { name: 'docker', version: '1', enabled: true }], owner: 'ops' };
  const actions: RemediationAction[] = [
    { action: 'install_skill', name: 'git', version: '2.2.0' },
    { action: 'install_skill', name: 'python', version: '3.12' },
    { action: 'disable_skill', name: 'docker' },
    { action: 'set_runtime_version', version: '1.1.0' },
    { action: 'set_setting', name: 'log_level', value: 'debug' },
    { action: 'escalate', reason: 'needs more CPUs' },
  ];
  t.same(parseRemediationActions(actions), actions, 'every action parses as stated');
  const { config: remediated, applied, escalated } = applyRemediation(config, actions);
  t.same(remediated, {
    runtime_version: '1.1.0',
    skills: [
      { name: 'git', version: '2.2.0', enabled: true },
      { name: 'docker', version: '1', enabled: false },
      { name: 'python', version: '3.12', enabled: true },
    ],
    settings: { allow_shell: false, log_level: 'debug' },
    owner: 'ops',
  });
  t.equal(applied, 5);
  t.same(escalated, ['needs more CPUs']);
});

t.test('given a bad remediation action, then the whole plan is refused as invalid input', async (t) => {
  t.throws(() => parseRemediationActions('install everything'), { code: 'invalid_input', retryable: false });
  t.throws(() => parseRemediationActions([{ action: 'install_skill', name: 'git' }]), {
    code: 'invalid_input',
    message: 'actions[0].version must be a string',
  });
  t.throws(() => parseRemediationActions([{ action: 'set_setting', value: 1 }]), { message: 'actions[0].name must be a string' });
  t.throws(() => parseRemediationActions([{ action: 'reboot' }]), { message: 'actions[0].action "reboot" is not a remediation action' });
});

t.test('given a skill configured with parameters, then the snapshot reports them; parameters that are not an object are left out', async (t) => {
  const dir = await agentDir(t, {
    ...baseConfig,
    skills: [
      { name: 'git', version: '2.1.0', parameters: { depth: 1 } },
      { name: 'jq', version: '1.7', parameters: [1] },
    ],
  });
  t.same(configurationSnapshot(await readAgentConfig(dir), 'local').skills, [
    { name: 'git', version: '2.1.0', enabled: true, parameters: { depth: 1 } },
    { name: 'jq', version: '1.7', enabled: true },
  ]);
});

t.test('given configure_skill, then the skill runs with those parameters, and a later install of another version keeps them', async (t) => {
  const config = { ...baseConfig, skills: [{ name: 'git', version: '2.1.0', enabled: true, parameters: { depth: 5 } }] };
  const actions: RemediationAction[] = [
    { action: 'configure_skill', name: 'git', parameters: { depth: 1 } },
    { action: 'install_skill', name: 'git', version: '2.2.0' },
    { action: 'install_skill', name: 'jq', version: '1.7' },
    { action: 'configure_skill', name: 'jq', parameters: { raw: true } },
  ];
  t.same(parseRemediationActions(actions), actions, 'every action parses as stated');
  const { config: remediated, applied } = applyRemediation(config, actions);
  t.same(remediated.skills, [
    { name: 'git', version: '2.2.0', enabled: true, parameters: { depth: 1 } },
    { name: 'jq', version: '1.7', enabled: true, parameters: { raw: true } },
  ]);
  t.equal(applied, 4);
  t.throws(() => parseRemediationActions([{ action: 'configure_skill', name: 'git', parameters: 'depth=1' }]), {
    code: 'invalid_input',
    message: 'actions[0].parameters must be an object',
  });
});

t.test('given a setting named without its value, then it parses as such: the agent asks Bosun for the value', async (t) => {
  t.same(parseRemediationActions([{ action: 'set_setting', name: 'api_token' }]), [{ action: 'set_setting', name: 'api_token' }]);
});

t.test('given an update, then the fields it does not touch are kept', async (t) => {
  const dir = await agentDir(t);
  await updateAgentConfig(dir, (config) => ({ config: { ...config, runtime_version: '2.0.0' }, result: null }));
  t.match(JSON.parse(await readFile(join(dir, 'agent-config.json'), 'utf8')), { runtime_version: '2.0.0', skills: baseConfig.skills });
});

t.test('given an update, then the configuration (which holds secret values) stays readable by its owner only', async (t) => {
  const dir = await agentDir(t);
  await updateAgentConfig(dir, (config) => ({ config: { ...config, settings: { api_token: 'tok-123' } }, result: null }));
  t.equal((await stat(join(dir, 'agent-config.json'))).mode & 0o777, 0o600);
});
