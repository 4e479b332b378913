import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { DataKeyError, DataKeys } from '../../commands/data-keys.js';
import { isSealed, SecretSettings } from '../../commands/secret-settings.js';
import { ConfigError, loadConfig } from '../../infra/config.js';
import { openEmbeddedKeyStore } from '../../infra/embedded-key-store.js';
import { openDataKeys } from '../../infra/secret-keys.js';

const quiet = pino({ enabled: false });

const setUp = (masterKey = randomBytes(32)) => {
  const store = openEmbeddedKeyStore(':memory:');
  const keys = new DataKeys(store, masterKey);
  return { store, keys, secrets: new SecretSettings(keys) };
};

t.test('given a team, when a spec with a secret is sealed, then only secret-looking settings are ciphertext and they open to their values', async (t) => {
  const { secrets } = setUp();
  const seal = await secrets.sealerFor('team-a');
  const sealed = seal({ api_token: 'tok-123', timeout: 30, db_password: { user: 'u', pass: 'p' } });
  t.ok(isSealed(sealed.api_token));
  t.ok(isSealed(sealed.db_password), 'a structured secret is sealed whole');
  t.equal(sealed.timeout, 30);
  t.notOk(JSON.stringify(sealed).includes('tok-123'));
  t.equal(await secrets.open('team-a', 'api_token', sealed.api_token), 'tok-123');
  t.same(await secrets.open('team-a', 'db_password', sealed.db_password), { user: 'u', pass: 'p' });
  t.same(seal(sealed), sealed, 'sealing a sealed spec changes nothing');
});

t.test('given a sealed secret, when the same value is sent again, then it keeps its sealed form; a new value is sealed anew', async (t) => {
  const { secrets } = setUp();
  const seal = await secrets.sealerFor('team-a');
  const first = seal({ api_token: 'tok-123' });
  t.same(seal({ api_token: 'tok-123' }, first), first);
  const rotated = seal({ api_token: 'tok-456' }, first);
  t.not(JSON.stringify(rotated), JSON.stringify(first));
  t.equal(await secrets.open('team-a', 'api_token', rotated.api_token), 'tok-456');
});

t.test('a sealed value opens only for its own team and setting, and not once altered', async (t) => {
  const { secrets } = setUp();
  const sealed = (await secrets.sealerFor('team-a'))({ api_token: 'tok-123' }).api_token as { $sealed: { data: string } };
  await secrets.sealerFor('team-b');
  await t.rejects(secrets.open('team-b', 'api_token', sealed), DataKeyError, "another team's key does not open it");
  await t.rejects(secrets.open('team-a', 'other_token', sealed), DataKeyError, 'moved to another setting, it does not open');
  const bytes = Buffer.from(sealed.$sealed.data, 'base64url');
  bytes[bytes.length - 20]! ^= 1;
  await t.rejects(secrets.open('team-a', 'api_token', { $sealed: { ...sealed.$sealed, data: bytes.toString('base64url') } }), DataKeyError, 'altered');
});

t.test('given an erased key, then what it sealed cannot be opened, and the key store forgets it', async (t) => {
  const { keys, secrets, store } = setUp();
  const sealed = (await secrets.sealerFor('team-a'))({ api_token: 'tok-123' });
  t.equal(await keys.erase('team-a', 'settings'), true);
  t.equal(await store.get('team-a', 'settings'), null);
  await t.rejects(secrets.open('team-a', 'api_token', sealed.api_token), /settings key is gone/);
  t.equal(await keys.erase('team-a', 'settings'), false, 'erasing twice finds no key');
});

t.test('racing creators of one key agree on the first stored', async (t) => {
  const store = openEmbeddedKeyStore(':memory:');
  const master = randomBytes(32);
  const [a, b] = await Promise.all([new DataKeys(store, master).keyFor('team-a', 's'), new DataKeys(store, master).keyFor('team-a', 's')]);
  t.same(a, b);
});

t.test('keys are stored wrapped: another master key cannot unwrap them', async (t) => {
  const store = openEmbeddedKeyStore(':memory:');
  await new DataKeys(store, randomBytes(32)).keyFor('team-a', 's');
  await t.rejects(new DataKeys(store, randomBytes(32)).existingKey('team-a', 's'), DataKeyError);
});

t.test('the master key: configured, or generated once into the data directory with mode 0600', async (t) => {
  t.throws(() => loadConfig({ BOSUN_MASTER_KEY: 'too-short' }), ConfigError);
  t.equal(loadConfig({ BOSUN_MASTER_KEY: 'ab'.repeat(32) }).masterKey?.length, 32, 'hex');
  t.equal(loadConfig({ BOSUN_MASTER_KEY: randomBytes(32).toString('base64') }).masterKey?.length, 32, 'base64');

  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-keys-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = openDataKeys({ dataDir, masterKey: null }, quiet);
  const sealed = (await first.secrets.sealerFor('team-a'))({ api_token: 'tok-123' });
  await first.close();
  t.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
  const second = openDataKeys({ dataDir, masterKey: null }, quiet);
  t.teardown(second.close);
  t.equal(await second.secrets.open('team-a', 'api_token', sealed.api_token), 'tok-123', 'a restart opens what the first start sealed');
  t.notOk(readFileSync(join(dataDir, 'keys.sqlite')).includes(Buffer.from('tok-123')));
});
