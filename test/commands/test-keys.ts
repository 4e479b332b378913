import { randomBytes } from 'node:crypto';
import { DataKeys } from '../../commands/data-keys.js';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import { PersonalData } from '../../commands/personal-data.js';
import { SecretSettings } from '../../commands/secret-settings.js';
import { openEmbeddedKeyStore } from '../../infra/embedded-key-store.js';

/** Secret settings and personal data under a throwaway master key, with keys in memory: for tests that handle commands without a Bosun. */
export const testKeys = (): Pick<CommandHandlerDeps, 'secrets' | 'personal'> => {
  const keys = new DataKeys(openEmbeddedKeyStore(':memory:'), randomBytes(32));
  return { secrets: new SecretSettings(keys), personal: new PersonalData(keys, randomBytes(32)) };
};
