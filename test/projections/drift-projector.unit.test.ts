import t from 'tap';
import type { ConfigurationSnapshot, DriftEvent, DriftItem } from '../../domain/drift/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { driftCollection, driftProjector } from '../../projections/drift/drift-projector.js';
import { getDriftSummary, listSnapshots } from '../../projections/drift/drift-queries.js';
import { snapshotProjector } from '../../projections/drift/snapshot-projector.js';

const instanceId = 'i-1';
let position = 100;
const recorded = (revision: number, event: DriftEvent, tenant = 'team-a'): RecordedEvent => ({
  id: `e-${revision}`,
  stream: `drift-${instanceId}`,
  revision,
  position: ++position,
  tenant,
  type: event.type,
  data: event.data,
  metadata: {
    actor: { type: 'agent', id: instanceId },
    correlation_id: 'c',
    causation_id: null,
    request_id: null,
    client_ip: null,
    user_agent: null,
    occurred_at: `2026-01-01T00:00:${String(revision).padStart(2, '0')}.000Z`,
    schema_version: 1,
  },
});

const item: DriftItem = { kind: 'skill_version_mismatch', path: 'skills.git', severity: 'medium', expected: '2.1', actual: '2.0' };
const snapshot: ConfigurationSnapshot = {
  provider: 'local',
  runtime_version: null,
  skills: [{ name: 'git', version: '2.0', enabled: true }],
  settings: { api_token: '[redacted]' },
  resources: { cpus: 2, memory_mb: 1024, open_ports: [], region: null },
};

const snapshotRecorded = recorded(0, { type: 'drift.snapshot_recorded', data: { snapshot, drift_id: 'd-1' } });
const detected = recorded(1, { type: 'drift.detected', data: { drift_id: 'd-1', items: [item], severity: 'medium', fingerprint: 'f-1' } });
const proposed = recorded(2, {
  type: 'drift.remediation_proposed',
  data: { drift_id: 'd-1', plan: [{ action: 'install_skill', name: 'git', version: '2.1' }] },
});
const approved = recorded(3, { type: 'drift.remediation_approved', data: { drift_id: 'd-1', automatic: true } });
const started = recorded(4, { type: 'drift.remediation_started', data: { drift_id: 'd-1', task_id: 't-1' } });
const resolved = recorded(5, { type: 'drift.resolved', data: { drift_id: 'd-1', verified_by: 'remediation' } });
const regionItem: DriftItem = { kind: 'region_mismatch', path: 'resources.region', severity: 'high', expected: 'eu-west', actual: null };
const nextDetected = recorded(6, { type: 'drift.detected', data: { drift_id: 'd-2', items: [regionItem], severity: 'high', fingerprint: 'f-2' } });
const escalated = recorded(7, { type: 'drift.escalated', data: { drift_id: 'd-2', reason: 'no action of the agent can fix this drift' } });

const project = async (events: RecordedEvent[], store = openEmbeddedReadStore({ file: ':memory:' })) => {
  for (const event of events) {
    await driftProjector.apply(event, store);
    await snapshotProjector.apply(event, store);
  }
  return store;
};

t.test('given a detection, then a drift event is open with its items and what an operator may do', async (t) => {
  const store = await project([snapshotRecorded, detected]);
  t.match(await driftCollection(store).get('d-1'), {
    instance_id: instanceId,
    status: 'open',
    severity: 'medium',
    items: [item],
    plan: null,
    allowed_actions: ['execute', 'dismiss'],
    detected_at: '2026-01-01T00:00:01.000Z',
    revision: 1,
  });
});

t.test('given a remediation to its end, then the drift shows its plan, approval, run and how it was verified', async (t) => {
  const store = await project([snapshotRecorded, detected, proposed, approved, started]);
  t.match(await driftCollection(store).get('d-1'), {
    status: 'remediating',
    plan: { actions: [{ action: 'install_skill' }], approval: { automatic: true, approved_at: '2026-01-01T00:00:03.000Z' } },
    remediation: { task_id: 't-1', started_at: '2026-01-01T00:00:04.000Z', failed_at: null },
    allowed_actions: [],
  });
  await project([resolved], store);
  t.match(await driftCollection(store).get('d-1'), { status: 'resolved', verified_by: 'remediation', closed_at: '2026-01-01T00:00:05.000Z', revision: 5 });
});

t.test('events of the next drift of the stream leave the previous one as it was', async (t) => {
  const store = await project([snapshotRecorded, detected, resolved, nextDetected, escalated]);
  t.match(await driftCollection(store).get('d-1'), { status: 'resolved', revision: 5 });
  t.match(await driftCollection(store).get('d-2'), { status: 'escalated', escalation_reason: /no action/, allowed_actions: ['dismiss'] });
});

t.test('the summary counts drifts by status, and active ones by severity', async (t) => {
  const store = await project([snapshotRecorded, detected, resolved, nextDetected]);
  t.match(await getDriftSummary(store, 'team-a'), {
    by_status: { open: 1, remediating: 0, escalated: 0, resolved: 1, dismissed: 0 },
    active_by_severity: { low: 0, medium: 0, high: 1, critical: 0 },
  });
  t.match(await getDriftSummary(store, 'team-b'), { by_status: { open: 0 } }, "another team's summary is empty");
});

t.test('applied twice, changed once: drift, summary and snapshots', async (t) => {
  const once = await project([snapshotRecorded, detected, proposed, resolved]);
  const twice = await project([snapshotRecorded, snapshotRecorded, detected, detected, proposed, proposed, resolved, resolved]);
  t.strictSame(await driftCollection(twice).get('d-1'), await driftCollection(once).get('d-1'));
  t.strictSame(await getDriftSummary(twice, 'team-a'), await getDriftSummary(once, 'team-a'));
  t.equal((await listSnapshots(twice, 'team-a', instanceId, { limit: 10 })).length, 1);
});

t.test('snapshots are listed per instance, newest first, as recorded', async (t) => {
  const later = recorded(8, { type: 'drift.snapshot_recorded', data: { snapshot: { ...snapshot, runtime_version: '1.0' }, drift_id: null } });
  const store = await project([snapshotRecorded, later]);
  t.match(await listSnapshots(store, 'team-a', instanceId, { limit: 10 }), [
    { id: 'e-8', instance_id: instanceId, drift_id: null, snapshot: { runtime_version: '1.0' } },
    { id: 'e-0', drift_id: 'd-1', snapshot: { settings: { api_token: '[redacted]' } } },
  ]);
  t.same(await listSnapshots(store, 'team-b', instanceId, { limit: 10 }), []);
});
