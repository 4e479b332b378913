import t from 'tap';
import { compareConfiguration, driftFingerprint, overallSeverity, type ConfigurationSnapshot } from '../../../domain/drift/compare.js';
import type { InstanceSpec } from '../../../domain/instance/events.js';

const desired: InstanceSpec = {
  skills: [
    { name: 'git', version: '2.1' },
    { name: 'browser', version: '1.0' },
    { name: 'shell', version: '1.0', enabled: false },
  ],
  runtime_version: '1.4.0',
  settings: { timeout: 30, api_token: 'secret-a', limits: { a: 1, b: 2 } },
  resources: { cpus: 4, memory_mb: 8192, ports: [8080, 9090], region: 'eu-west' },
  max_concurrent_tasks: 2,
};

const matching: ConfigurationSnapshot = {
  provider: 'local',
  runtime_version: '1.4.0',
  skills: [
    { name: 'git', version: '2.1', enabled: true },
    { name: 'browser', version: '1.0', enabled: true },
    { name: 'shell', version: '1.0', enabled: false },
  ],
  settings: { timeout: 30, api_token: 'secret-a', limits: { b: 2, a: 1 } },
  resources: { cpus: 8, memory_mb: 16384, open_ports: [22, 8080, 9090], region: 'eu-west' },
};

const compare = (changes: Partial<ConfigurationSnapshot>) => compareConfiguration(desired, 'local', { ...matching, ...changes });

t.test('given a snapshot that matches (more resources is fine, key order is not a difference), then there is no drift', async (t) => {
  t.same(compare({}), []);
  t.equal(overallSeverity([]), null);
});

t.test('a wrong provider is critical', async (t) => {
  t.match(compare({ provider: 'docker' }), [{ kind: 'provider_mismatch', severity: 'critical', expected: 'local', actual: 'docker' }]);
});

t.test('skills: missing high, version medium, undeclared or enabled-but-declared-disabled low', async (t) => {
  const items = compare({
    skills: [
      { name: 'git', version: '2.0', enabled: true },
      { name: 'browser', version: '1.0', enabled: false },
      { name: 'shell', version: '1.0', enabled: true },
      { name: 'python', version: '3.12', enabled: true },
      { name: 'ruby', version: '3', enabled: false },
    ],
  });
  t.same(
    items.map(({ kind, path, severity }) => ({ kind, path, severity })),
    [
      { kind: 'skill_version_mismatch', path: 'skills.git', severity: 'medium' },
      { kind: 'skill_missing', path: 'skills.browser', severity: 'high' },
      { kind: 'skill_enabled_but_disabled', path: 'skills.shell', severity: 'low' },
      { kind: 'skill_undeclared', path: 'skills.python', severity: 'low' },
    ],
  );
  t.match(compare({ skills: matching.skills.filter((s) => s.name !== 'git') }), [
    { kind: 'skill_missing', path: 'skills.git', severity: 'high', actual: null },
  ]);
});

t.test('runtime version mismatch is medium', async (t) => {
  t.match(compare({ runtime_version: '1.3.9' }), [{ kind: 'runtime_version_mismatch', severity: 'medium', expected: '1.4.0', actual: '1.3.9' }]);
});

t.test('settings: missing high, different value medium', async (t) => {
  t.match(compare({ settings: { api_token: 'secret-a', limits: { a: 1, b: 2 } } }), [
    { kind: 'setting_missing', path: 'settings.timeout', severity: 'high', expected: 30 },
  ]);
  t.match(compare({ settings: { ...matching.settings, timeout: 60 } }), [
    { kind: 'setting_mismatch', path: 'settings.timeout', severity: 'medium', expected: 30, actual: 60 },
  ]);
});

t.test('values of secret-looking settings are never kept, only that they differ', async (t) => {
  const items = compare({ settings: { ...matching.settings, api_token: 'secret-b' } });
  t.same(items, [{ kind: 'setting_mismatch', path: 'settings.api_token', severity: 'medium', expected: null, actual: null }]);
  t.notMatch(JSON.stringify(items), /secret-/);
  const missing = compare({ settings: { timeout: 30, limits: { a: 1, b: 2 } } });
  t.same(missing, [{ kind: 'setting_missing', path: 'settings.api_token', severity: 'high', expected: null, actual: null }]);
});

t.test('resources: fewer CPUs, a closed port or a wrong region high; less memory medium', async (t) => {
  const items = compare({ resources: { cpus: 2, memory_mb: 4096, open_ports: [8080], region: 'us-east' } });
  t.same(
    items.map(({ kind, severity }) => [kind, severity]),
    [
      ['cpus_below', 'high'],
      ['memory_below', 'medium'],
      ['port_closed', 'high'],
      ['region_mismatch', 'high'],
    ],
  );
  t.equal(overallSeverity(items), 'high');
  t.equal(overallSeverity(compare({ provider: 'k8s', runtime_version: 'x' })), 'critical');
});

t.test('the same differences have the same fingerprint, whatever their order; others do not', async (t) => {
  const a = compare({ runtime_version: '1.3', settings: { ...matching.settings, timeout: 60 } });
  t.equal(driftFingerprint(a), driftFingerprint([...a].reverse()));
  t.not(driftFingerprint(a), driftFingerprint(compare({ runtime_version: '1.2', settings: { ...matching.settings, timeout: 60 } })));
});

t.test('skill parameters: compared by value, medium when they differ; none reported for none desired is no drift', async (t) => {
  const withParameters: InstanceSpec = {
    ...desired,
    skills: [
      { name: 'git', version: '2.1', parameters: { depth: 1, remote: { name: 'origin', url: 'u' } } },
      { name: 'browser', version: '1.0', parameters: {} },
      { name: 'shell', version: '1.0', enabled: false },
    ],
  };
  const reported = (git: ConfigurationSnapshot['skills'][number]): ConfigurationSnapshot => ({ ...matching, skills: [git, ...matching.skills.slice(1)] });

  t.test('given the same parameters in another key order, and none reported where {} is desired, then there is no drift', async (t) => {
    const git = { name: 'git', version: '2.1', enabled: true, parameters: { remote: { url: 'u', name: 'origin' }, depth: 1 } };
    t.same(compareConfiguration(withParameters, 'local', reported(git)), []);
  });

  t.test('given an old snapshot without parameters and a spec without any, then there is no drift', async (t) => {
    t.same(compareConfiguration(desired, 'local', matching), []);
  });

  t.test('given other parameters, then the skill is reported with the desired and the actual ones', async (t) => {
    const items = compareConfiguration(withParameters, 'local', reported({ name: 'git', version: '2.1', enabled: true, parameters: { depth: 5 } }));
    t.strictSame(items, [
      {
        kind: 'skill_parameters_mismatch',
        path: 'skills.git',
        severity: 'medium',
        expected: { depth: 1, remote: { name: 'origin', url: 'u' } },
        actual: { depth: 5 },
      },
    ]);
    t.equal(overallSeverity(items), 'medium');
  });

  t.test('given no parameters reported where some are desired, then they differ from none', async (t) => {
    t.match(compareConfiguration(withParameters, 'local', reported({ name: 'git', version: '2.1', enabled: true })), [
      { kind: 'skill_parameters_mismatch', path: 'skills.git', actual: {} },
    ]);
  });

  t.test('given the skill missing, then its parameters are reported after it, so installing it also configures it', async (t) => {
    t.match(compareConfiguration(withParameters, 'local', { ...matching, skills: matching.skills.slice(1) }), [
      { kind: 'skill_missing', path: 'skills.git' },
      { kind: 'skill_parameters_mismatch', path: 'skills.git', expected: { depth: 1 }, actual: {} },
    ]);
  });

  t.test('given only the parameters change, then the fingerprint changes: a new difference', async (t) => {
    const one = compareConfiguration(withParameters, 'local', reported({ name: 'git', version: '2.1', enabled: true, parameters: { depth: 5 } }));
    const other = compareConfiguration(withParameters, 'local', reported({ name: 'git', version: '2.1', enabled: true, parameters: { depth: 6 } }));
    t.not(driftFingerprint(one), driftFingerprint(other));
  });
});
