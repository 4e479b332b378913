/**
 * Bosun's log is JSON lines on stdout, and the Temporal SDK's native core writes there too
 * unless its logs are forwarded: when the server goes away, its warnings must arrive as
 * JSON lines of Bosun's logger, not as core's own coloured text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { spawnFixture } from './fixtures/spawn-fixture.js';

t.setTimeout(120_000);

t.test('given a worker whose Temporal server was killed, when core warns about its polls, then every stdout line is JSON', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'bosun-core-logs-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawnFixture('temporal-core-logs.ts', [dataDir]);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(async () => {
    child.kill('SIGKILL');
    await exited;
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const notJson: string[] = [];
  const coreLines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.sdkComponent === 'core') coreLines.push(entry);
    } catch {
      notJson.push(line);
    }
  });
  for (const deadline = Date.now() + 60_000; coreLines.length === 0 && notJson.length === 0;) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no warning from core before the fixture stopped: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.same(notJson, [], 'nothing but JSON lines on stdout');
  t.match(coreLines[0], { level: 40, component: 'temporal', target: /temporalio_client/ }, "core's warning, through Bosun's logger");
});
