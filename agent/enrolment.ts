import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomically } from './atomic-file.js';
import type { BosunClient } from './client.js';

export type Enrolment = {
  readonly credential: string;
  /** What registration answered; null when a stored credential was used. */
  readonly heartbeatIntervalSeconds: number | null;
  readonly claimWaitSeconds: number | null;
};

const credentialPath = (dir: string): string => join(dir, 'credential');

const readCredential = async (path: string): Promise<string | null> => {
  try {
    const credential = (await readFile(path, 'utf8')).trim();
    if (credential === '') throw new Error(`${path} is empty`);
    return credential;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

/**
 * The stored instance credential, or a new one from registering with the one-time token.
 * A token registers once, so the credential is stored (mode 0600) before anything else.
 */
export const enrol = async (
  dir: string,
  client: BosunClient,
  registrationToken: string | undefined,
  logger: Logger,
  signal: AbortSignal,
): Promise<Enrolment> => {
  const path = credentialPath(dir);
  const stored = await readCredential(path);
  if (stored !== null) {
    logger.info({ path }, 'using the stored instance credential');
    return { credential: stored, heartbeatIntervalSeconds: null, claimWaitSeconds: null };
  }
  if (!registrationToken) throw new Error(`no credential in ${path} and no registration token to register with`);
  const registration = await client.register(registrationToken, hostname(), signal);
  if (typeof registration?.credential !== 'string') throw new Error('registration answered without a credential');
  await writeFileAtomically(path, registration.credential, 0o600);
  logger.info({ instance_id: registration.instance_id, path }, 'registered; credential stored');
  return {
    credential: registration.credential,
    heartbeatIntervalSeconds: registration.heartbeat_interval_seconds ?? null,
    claimWaitSeconds: registration.claim_wait_seconds ?? null,
  };
};
