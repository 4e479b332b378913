/**
 * Every recorded workflow history (test/workflows/histories, recorded by the fleet tests with
 * BOSUN_RECORD_HISTORIES=1) replays against the current workflow code: a change that would
 * make a running workflow take another path fails here, before it ships. Such changes go
 * through `patched()`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import t from 'tap';
import { workflowBundle } from '../../workflows/worker.js';
import { historiesDir } from './fleet-harness.js';

const fixtures = readdirSync(historiesDir).filter((file) => file.endsWith('.json'));

t.test('there are recorded histories of every workflow', async (t) => {
  t.ok(
    fixtures.some((file) => file.startsWith('task-')),
    'task workflow',
  );
  t.ok(
    fixtures.some((file) => file.startsWith('instance-')),
    'instance workflow',
  );
  t.ok(
    fixtures.some((file) => file.startsWith('drift-')),
    'drift workflow',
  );
});

t.test('every recorded history replays without non-determinism', async (t) => {
  const histories = fixtures.map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(join(historiesDir, file), 'utf8'))),
  }));
  const results = Worker.runReplayHistories({ workflowBundle: workflowBundle() }, histories);
  let replayed = 0;
  for await (const result of results) {
    replayed++;
    t.equal(result.error, undefined, `${result.workflowId} replays`);
  }
  t.equal(replayed, fixtures.length, 'every fixture was replayed');
});
