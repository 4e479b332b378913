import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A consumer's position in the log, kept in a file of its own: 0 when there is none yet. */
export const readCheckpointFile = (path: string): number => {
  try {
    return Number(readFileSync(path, 'utf8')) || 0;
  } catch {
    return 0;
  }
};

/** Written aside and renamed: a crash leaves the old position or the new one, never half of one. */
export const writeCheckpointFile = (path: string, position: number): void => {
  mkdirSync(dirname(path), { recursive: true });
  const draft = `${path}.tmp`;
  writeFileSync(draft, String(position));
  renameSync(draft, path);
};
