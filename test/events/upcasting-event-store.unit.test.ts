import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { driftUpcasters } from '../../domain/drift/upcasters.js';
import { instanceUpcasters } from '../../domain/instance/upcasters.js';
import { taskUpcasters } from '../../domain/task/upcasters.js';
import { teamUpcasters } from '../../domain/team/upcasters.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import type { NewEvent } from '../../events/event-store.js';
import { withUpcasting } from '../../events/upcasting-event-store.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { testMetadata } from './event-metadata.js';

const openStore = (t: { teardown: (fn: () => Promise<void>) => void }) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-upcast-'));
  const store = openEmbeddedEventStore({ directory });
  t.teardown(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return store;
};

const schemas = loadEventSchemas();

const submittedV1: NewEvent = {
  id: '00000000-0000-4000-8000-000000000001',
  type: 'task.submitted',
  tenant: 'team-a',
  data: { task_id: 't1', kind: 'echo', input: {}, instance_id: null, required_skills: [], timeout_seconds: null },
  metadata: testMetadata(),
};

t.test(
  'given a task.submitted stored at v1, when read, then it arrives as v3 with one attempt, no callback, no rerun, and the stored bytes are unchanged',
  async (t) => {
    const stored = openStore(t);
    const store = withUpcasting(stored, schemas, [taskUpcasters]);
    await store.append('task-t1', [submittedV1], 'no_stream');

    const expected = { ...(submittedV1.data as object), max_attempts: 1, retry_backoff_seconds: 0, callback_url: null, rerun_of: null };
    const [fromStream] = await store.readStream('task-t1');
    t.strictSame(fromStream?.data, expected, 'readStream');
    t.equal(fromStream?.metadata.schema_version, 3);
    t.doesNotThrow(() => schemas.validate('task.submitted', fromStream?.data), 'matches the newest schema');
    const [fromLog] = await store.readAll();
    t.strictSame(fromLog?.data, expected, 'readAll');
    const delivered = await new Promise<unknown>((resolve) => {
      const subscription = store.subscribe(0, { onEvent: (event) => void subscription.close().then(() => resolve(event.data)) });
    });
    t.strictSame(delivered, expected, 'subscribe');
    t.strictSame((await stored.readStream('task-t1'))[0]?.data, submittedV1.data, 'the stored event is not rewritten');
  },
);

t.test('given a task.submitted stored at v2, when read, then it arrives as v3 with no callback, not a rerun', async (t) => {
  const store = withUpcasting(openStore(t), schemas, [taskUpcasters]);
  const v2 = { ...(submittedV1.data as object), max_attempts: 3, retry_backoff_seconds: 1 };
  await store.append('task-t1', [{ ...submittedV1, data: v2, metadata: { ...submittedV1.metadata, schema_version: 2 } }], 'no_stream');
  const [read] = await store.readStream('task-t1');
  t.strictSame(read?.data, { ...v2, callback_url: null, rerun_of: null });
  t.equal(read?.metadata.schema_version, 3);
  t.doesNotThrow(() => schemas.validate('task.submitted', read?.data), 'matches the newest schema');
});

t.test('given an event at the newest version, when read, then it passes through as stored', async (t) => {
  const store = withUpcasting(openStore(t), schemas, [taskUpcasters]);
  const current = {
    ...submittedV1,
    data: { ...(submittedV1.data as object), max_attempts: 3, retry_backoff_seconds: 1, callback_url: null, rerun_of: 't0' },
    metadata: { ...submittedV1.metadata, schema_version: 3 },
  };
  await store.append('task-t1', [current], 'no_stream');
  t.strictSame((await store.readStream('task-t1'))[0]?.data, current.data);
});

t.test('given a team.api_key_issued stored at v1, when read, then it arrives as v2 with no expiry', async (t) => {
  const store = withUpcasting(openStore(t), schemas, [taskUpcasters, teamUpcasters, instanceUpcasters, driftUpcasters]);
  const issuedV1 = { key_id: 'k1', name: 'ci', role: 'viewer', key_hash: 'a'.repeat(64), key_prefix: 'bsn_abcd' };
  await store.append('team-a', [{ ...submittedV1, type: 'team.api_key_issued', data: issuedV1 }], 'no_stream');
  const [read] = await store.readStream('team-a');
  t.strictSame(read?.data, { ...issuedV1, expires_at: null });
  t.equal(read?.metadata.schema_version, 2);
  t.doesNotThrow(() => schemas.validate('team.api_key_issued', read?.data), 'matches the newest schema');
});

t.test('given an instance spec stored at v1, when read, then it is the same spec at v2 (skills without parameters)', async (t) => {
  const stored = openStore(t);
  const store = withUpcasting(stored, schemas, [taskUpcasters, teamUpcasters, instanceUpcasters, driftUpcasters]);
  const spec = {
    skills: [{ name: 'git', version: '2.1.0' }],
    runtime_version: null,
    settings: {},
    resources: { cpus: null, memory_mb: null, ports: [], region: null },
    max_concurrent_tasks: 1,
  };
  await store.append(
    'instance-i1',
    [{ ...submittedV1, id: '00000000-0000-4000-8000-000000000002', type: 'instance.spec_changed', data: { spec } }],
    'no_stream',
  );
  const [read] = await store.readStream('instance-i1');
  t.strictSame(read?.data, { spec });
  t.equal(read?.metadata.schema_version, 2);
  t.doesNotThrow(() => schemas.validate('instance.spec_changed', read?.data), 'matches the newest schema');
});

t.test('given drift events stored at v1, when read, then they are the same at v2 (no skill parameters in them)', async (t) => {
  const store = withUpcasting(openStore(t), schemas, [taskUpcasters, teamUpcasters, instanceUpcasters, driftUpcasters]);
  const snapshot = {
    provider: 'local',
    runtime_version: null,
    skills: [{ name: 'git', version: '2.1.0', enabled: true }],
    settings: {},
    resources: { cpus: 2, memory_mb: 1024, open_ports: [], region: null },
  };
  const v1 = [
    { type: 'drift.snapshot_recorded', data: { snapshot, drift_id: null } },
    { type: 'drift.remediation_proposed', data: { drift_id: 'd1', plan: [{ action: 'install_skill', name: 'git', version: '2.2.0' }] } },
  ];
  await store.append(
    'drift-i1',
    v1.map((event, index) => ({ ...submittedV1, ...event, id: `00000000-0000-4000-8000-00000000001${index}` })),
    'no_stream',
  );
  const read = await store.readStream('drift-i1');
  t.strictSame(
    read.map((event) => event.data),
    v1.map((event) => event.data),
  );
  for (const event of read) {
    t.equal(event.metadata.schema_version, 2, event.type);
    t.doesNotThrow(() => schemas.validate(event.type, event.data), `${event.type} matches the newest schema`);
  }
});
