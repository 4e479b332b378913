import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The nearest folder above this file holding a package.json: the project root, from the source or from dist/. */
export const projectRoot = (): string => {
  for (let dir = import.meta.dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
};
