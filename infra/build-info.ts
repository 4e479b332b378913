/**
 * What this build of Bosun is: its package version, the commit it was built from and the
 * API version it serves. The commit is written next to the compiled code by the build
 * (`node dist/infra/build-info.js`, run by `npm run build`), or given as BOSUN_COMMIT where
 * the build has no git checkout (a container image).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './project-root.js';

export type BuildInfo = { readonly version: string; readonly commit: string | null; readonly api_version: 'v1' };

const commitFile = join(import.meta.dirname, 'build-commit.json');

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
};

let known: BuildInfo | null = null;

export const buildInfo = (env: NodeJS.ProcessEnv = process.env): BuildInfo => {
  known ??= {
    version: (readJson(join(projectRoot(), 'package.json')) as { version?: string } | null)?.version ?? 'unknown',
    commit: env.BOSUN_COMMIT || ((readJson(commitFile) as { commit?: string } | null)?.commit ?? null),
    api_version: 'v1',
  };
  return known;
};

// The build step: records the checkout's commit, or null outside a git checkout.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let commit: string | null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: projectRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    commit = null;
  }
  writeFileSync(commitFile, `${JSON.stringify({ commit })}\n`);
}
