import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by
 * creation time and index well. Built on `randomUUID`, which draws from a cached entropy
 * pool: uuid's own v7 asks the OS for 16 bytes per id, which profiled at 9% of a submit.
 */
export const uuidv7 = (now: number = Date.now()): string => {
  const time = now.toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19, 23)}-${random.slice(24)}`;
};
