import t from 'tap';
import type { AlertEvent } from '../../domain/alert/index.js';
import type { Actor, RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { alertCollection, alertProjector } from '../../projections/alerts/alert-projector.js';
import { listAlerts } from '../../projections/alerts/alert-queries.js';

let position = 100;
const recorded = (
  alertId: string,
  revision: number,
  event: AlertEvent,
  actor: Actor = { type: 'system', id: 'alert-rules' },
  tenant = 'team-a',
): RecordedEvent => ({
  id: `e-${alertId}-${revision}`,
  stream: `alert-${alertId}`,
  revision,
  position: ++position,
  tenant,
  type: event.type,
  data: event.data,
  metadata: {
    actor,
    correlation_id: 'c',
    causation_id: null,
    request_id: null,
    client_ip: null,
    user_agent: null,
    occurred_at: `2026-01-01T00:00:${String(revision).padStart(2, '0')}.000Z`,
    schema_version: 1,
  },
});

const raisedEvent = (alertId: string, rule: string, instanceId: string): AlertEvent => ({
  type: 'alert.raised',
  data: { alert_id: alertId, rule, severity: 'high', subject: { type: 'instance', id: instanceId }, message: `instance ${instanceId} is unhealthy` },
});
const operator: Actor = { type: 'api_key', id: 'key-1' };
const raised = recorded('a-1', 0, raisedEvent('a-1', 'instance_unhealthy', 'i-1'));
const acknowledged = recorded('a-1', 1, { type: 'alert.acknowledged', data: {} }, operator);
const resolved = recorded('a-1', 2, { type: 'alert.resolved', data: { reason: 'the instance is healthy again' } });

const project = async (events: RecordedEvent[], store = openEmbeddedReadStore({ file: ':memory:' })) => {
  for (const event of events) await alertProjector.apply(event, store);
  return store;
};

t.test('given a raised alert, it is open with its rule, subject and message', async (t) => {
  const store = await project([raised]);
  t.strictSame(await alertCollection(store).get('a-1'), {
    id: 'a-1',
    tenant: 'team-a',
    seq: raised.position,
    revision: 0,
    position: raised.position,
    rule: 'instance_unhealthy',
    rule_id: null,
    severity: 'high',
    status: 'open',
    subject_type: 'instance',
    subject_id: 'i-1',
    message: 'instance i-1 is unhealthy',
    raised_at: '2026-01-01T00:00:00.000Z',
    acknowledged_at: null,
    acknowledged_by: null,
    resolved_at: null,
    resolved_by: null,
    resolution_reason: null,
    updated_at: '2026-01-01T00:00:00.000Z',
  });
});

t.test('acknowledged by an operator, then resolved by its rule: who and when are kept', async (t) => {
  const store = await project([raised, acknowledged, resolved]);
  t.match(await alertCollection(store).get('a-1'), {
    status: 'resolved',
    revision: 2,
    position: resolved.position,
    seq: raised.position,
    acknowledged_at: '2026-01-01T00:00:01.000Z',
    acknowledged_by: operator,
    resolved_at: '2026-01-01T00:00:02.000Z',
    resolved_by: { type: 'system', id: 'alert-rules' },
    resolution_reason: 'the instance is healthy again',
  });
});

t.test('applied twice, changed once', async (t) => {
  const once = await project([raised, acknowledged]);
  const twice = await project([raised, acknowledged, raised, acknowledged]);
  t.strictSame(await alertCollection(twice).get('a-1'), await alertCollection(once).get('a-1'));
  const late = await project([raised, acknowledged, resolved, acknowledged]);
  t.equal((await alertCollection(late).get('a-1'))?.status, 'resolved', 'an older event replayed after a newer one changes nothing');
});

t.test('lists filter by status, rule and subject within the tenant, newest first', async (t) => {
  const other = recorded('a-2', 0, raisedEvent('a-2', 'task_failure_rate', 'i-1'));
  const elsewhere = recorded('a-3', 0, raisedEvent('a-3', 'instance_unhealthy', 'i-2'));
  const foreign = recorded('a-4', 0, raisedEvent('a-4', 'instance_unhealthy', 'i-1'), undefined, 'team-b');
  const store = await project([raised, acknowledged, other, elsewhere, foreign]);
  const ids = async (filter: Parameters<typeof listAlerts>[2]) => (await listAlerts(store, 'team-a', filter, { limit: 10 })).map((alert) => alert.id);
  t.same(await ids({}), ['a-3', 'a-2', 'a-1']);
  t.same(await ids({ subject_id: 'i-1' }), ['a-2', 'a-1']);
  t.same(await ids({ rule: 'instance_unhealthy' }), ['a-3', 'a-1']);
  t.same(await ids({ status: 'open' }), ['a-3', 'a-2']);
  t.same(await ids({ status: 'acknowledged', subject_id: 'i-1' }), ['a-1']);
});
