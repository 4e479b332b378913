import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';

const readPid = async (path: string): Promise<number | null> => {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Writes `<dir>/agent.pid` so providers can find (and signal) the agent; refuses when another
 * live agent holds the directory. Answers the release, which removes the file if still ours.
 */
export const claimPidFile = async (dir: string): Promise<() => Promise<void>> => {
  const path = join(dir, 'agent.pid');
  const holder = await readPid(path);
  if (holder !== null && holder !== process.pid && isAlive(holder)) throw new Error(`another agent (pid ${holder}) runs in ${dir}`);
  await writeFileAtomically(path, `${process.pid}\n`);
  return async () => {
    if ((await readPid(path)) === process.pid) await rm(path, { force: true });
  };
};
