/** BOSUN_AUDIT_SIGNING_KEY: an Ed25519 private key in a PEM file, or a clear error naming what is wrong. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../infra/config.js';

const directory = mkdtempSync(join(tmpdir(), 'bosun-audit-config-'));
t.teardown(() => rmSync(directory, { recursive: true, force: true }));

const pemFile = (name: string, type: 'ed25519' | 'rsa'): string => {
  const { privateKey } = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 1024 });
  const file = join(directory, name);
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return file;
};

const thrown = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  return null;
};

t.test('given no key, seals are unsigned', async (t) => {
  t.equal(loadConfig({}).auditSigningKey, null);
});

t.test('given an Ed25519 private key, it signs', async (t) => {
  t.equal(loadConfig({ BOSUN_AUDIT_SIGNING_KEY: pemFile('ed25519.pem', 'ed25519') }).auditSigningKey?.asymmetricKeyType, 'ed25519');
});

t.test('given a missing file, a file that is no key, or a key of another kind, the error names the variable and the file', async (t) => {
  const missing = join(directory, 'missing.pem');
  t.ok(thrown(() => loadConfig({ BOSUN_AUDIT_SIGNING_KEY: missing })) instanceof ConfigError, 'a configuration error, which `bosun serve` reports as such');
  t.throws(() => loadConfig({ BOSUN_AUDIT_SIGNING_KEY: missing }), { message: /^BOSUN_AUDIT_SIGNING_KEY must name a readable PEM file/ });
  t.throws(() => loadConfig({ BOSUN_AUDIT_SIGNING_KEY: missing }), { message: new RegExp(missing) });
  const garbage = join(directory, 'garbage.pem');
  writeFileSync(garbage, 'not a key');
  t.throws(() => loadConfig({ BOSUN_AUDIT_SIGNING_KEY: garbage }), {
    message: /BOSUN_AUDIT_SIGNING_KEY must name a readable PEM file holding an Ed25519 private key/,
  });
  t.throws(() => loadConfig({ BOSUN_AUDIT_SIGNING_KEY: pemFile('rsa.pem', 'rsa') }), { message: /must hold an Ed25519 private key; .* holds a rsa key/ });
});

t.test('seal intervals are checked like every number', async (t) => {
  t.throws(() => loadConfig({ BOSUN_AUDIT_SEAL_EVENTS: '0' }), { message: 'BOSUN_AUDIT_SEAL_EVENTS must be an integer from 1 to 10000000, got "0"' });
  t.match(loadConfig({ BOSUN_AUDIT_SEAL_EVENTS: '500', BOSUN_AUDIT_SEAL_SECONDS: '5' }), { auditSealEvents: 500, auditSealSeconds: 5 });
});
