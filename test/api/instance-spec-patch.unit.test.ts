import t from 'tap';
import { mergeSpecPatch } from '../../api/instance-spec-patch.js';
import type { InstanceSpec } from '../../domain/instance/index.js';

const current: InstanceSpec = {
  skills: [{ name: 'git', version: '2.1' }],
  runtime_version: '1.4.0',
  settings: { timeout: 30, api_token: 's3cret', nested: { a: 1, b: 2, password: 'p' } },
  resources: { cpus: 2, memory_mb: 2048, ports: [8080], region: 'eu-west' },
  max_concurrent_tasks: 2,
};

t.test('an empty patch keeps the spec', async (t) => {
  t.same(mergeSpecPatch(current, {}), current);
});

t.test('spec fields given replace the current ones; the others stay', async (t) => {
  const merged = mergeSpecPatch(current, { skills: [{ name: 'curl', version: '8' }], resources: { cpus: 4 } });
  t.same(merged.skills, [{ name: 'curl', version: '8' }]);
  t.same(merged.resources, { cpus: 4, memory_mb: null, ports: [], region: null }, 'resources are replaced whole, defaults filled in');
  t.equal(merged.runtime_version, '1.4.0');
  t.equal(merged.max_concurrent_tasks, 2);
});

t.test('null puts a spec field back to its default', async (t) => {
  const merged = mergeSpecPatch(current, { runtime_version: null, max_concurrent_tasks: null, settings: null });
  t.equal(merged.runtime_version, null);
  t.equal(merged.max_concurrent_tasks, 1);
  t.same(merged.settings, {});
});

t.test('settings merge name by name, null deleting one, nested objects merged too (RFC 7396)', async (t) => {
  const merged = mergeSpecPatch(current, { settings: { timeout: null, retries: 3, nested: { b: null, c: 3 } } });
  t.same(merged.settings, { api_token: 's3cret', nested: { a: 1, password: 'p', c: 3 }, retries: 3 });
});

t.test('a secret setting sent back as shown keeps its value; a new value replaces it', async (t) => {
  t.same(mergeSpecPatch(current, { settings: { api_token: '[redacted]', nested: { password: '[redacted]' } } }).settings, current.settings);
  t.equal(mergeSpecPatch(current, { settings: { api_token: 'rotated' } }).settings.api_token, 'rotated');
  t.equal(mergeSpecPatch(current, { settings: { timeout: '[redacted]' } }).settings.timeout, '[redacted]', 'only secret-looking names are kept');
});

t.test('a setting named __proto__ is an ordinary setting', async (t) => {
  const merged = mergeSpecPatch(current, { settings: JSON.parse('{"__proto__": {"polluted": true}}') });
  t.same(Object.getOwnPropertyDescriptor(merged.settings, '__proto__')?.value, { polluted: true });
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});
