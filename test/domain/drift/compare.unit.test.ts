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
