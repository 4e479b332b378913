import { createHash, randomBytes } from 'node:crypto';

/** API keys, enrolment tokens and instance credentials are stored only as this hash. */
export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** 32 random bytes behind a prefix that makes a leaked secret easy to recognise (`bsn_` key, `bsr_` token, `bsi_` credential). */
export const generateSecret = (prefix: 'bsn' | 'bsr' | 'bsi'): string => `${prefix}_${randomBytes(32).toString('base64url')}`;
