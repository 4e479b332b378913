/**
 * The keys of sealed values, as Bosun opens them on its data directory. The master key that wraps every data key: `BOSUN_MASTER_KEY` (32 bytes, base64 or hex),
 * or on the embedded defaults a key generated once into `<data dir>/master.key` (mode
 * 0600). A generated key sits beside what it protects, so it guards against copies of the
 * log and of exports, not against someone who reads the whole data directory.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DataKeys } from '../commands/data-keys.js';
import { PersonalData } from '../commands/personal-data.js';
import { SecretSettings } from '../commands/secret-settings.js';
import { ConfigError, decodeMasterKey, type Config } from './config.js';
import { openEmbeddedKeyStore } from './embedded-key-store.js';

export const loadMasterKey = (configured: Buffer | null, dataDir: string, logger: Logger): Buffer => {
  if (configured !== null) return configured;
  const file = join(dataDir, 'master.key');
  try {
    return decodeMasterKey(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`${file} cannot be read as a master key: ${(error as Error).message}`);
  }
  const key = randomBytes(32);
  try {
    // wx: of two Bosuns starting at once on one directory, the second reads the first's key.
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decodeMasterKey(readFileSync(file, 'utf8'));
    throw error;
  }
  logger.warn({ file }, 'master key generated: set BOSUN_MASTER_KEY to keep it apart from the data it protects');
  return key;
};

/** The data keys of `keys.sqlite` in the data directory under the configured (or generated) master key. */
export const openDataKeys = (config: Pick<Config, 'masterKey' | 'dataDir'>, logger: Logger) => {
  const store = openEmbeddedKeyStore(join(config.dataDir, 'keys.sqlite'));
  const masterKey = loadMasterKey(config.masterKey, config.dataDir, logger);
  const keys = new DataKeys(store, masterKey);
  // A key of its own for pseudonyms, derived so that the master key is used for one purpose only.
  const pseudonymKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'bosun data subject pseudonyms', 32));
  return { keys, secrets: new SecretSettings(keys), personal: new PersonalData(keys, pseudonymKey), close: () => store.close() };
};
