import { randomBytes } from 'node:crypto';
import { DataKeys } from '../../commands/data-keys.js';
import { SecretSettings } from '../../commands/secret-settings.js';
import { openEmbeddedKeyStore } from '../../infra/embedded-key-store.js';

/** Secret settings under a throwaway master key, with keys in memory: for tests that handle commands without a Bosun. */
export const testSecrets = (): SecretSettings => new SecretSettings(new DataKeys(openEmbeddedKeyStore(':memory:'), randomBytes(32)));
