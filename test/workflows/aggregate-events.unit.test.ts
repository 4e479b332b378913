/** What the reactor leaves to the task workflow's activities, and what it hands workflows. */
import t from 'tap';
import type { Actor, RecordedEvent } from '../../events/event-store.js';
import { aggregateEventOf, writtenByItsWorkflow } from '../../workflows/aggregate-events.js';
import { testMetadata } from '../events/event-metadata.js';

const recorded = (stream: string, actor: Actor): RecordedEvent => ({
  id: 'e-1',
  type: 'task.queued',
  tenant: 'team-a',
  stream,
  revision: 1,
  position: 42,
  data: { instance_id: 'i-1' },
  metadata: testMetadata(actor, 'c-1'),
});

t.test('given an event its own task workflow wrote, then the reactor leaves it to the activity answer', async (t) => {
  t.ok(writtenByItsWorkflow(recorded('task-1', { type: 'workflow', id: 'task-1' })));
});

t.test('given events of other actors, then they are forwarded to the task workflow', async (t) => {
  t.notOk(writtenByItsWorkflow(recorded('task-1', { type: 'workflow', id: 'instance-9' })), 'the instance workflow failing a run over');
  t.notOk(writtenByItsWorkflow(recorded('task-1', { type: 'workflow', id: 'drift-9' })), 'the drift workflow submitting a remediation');
  t.notOk(writtenByItsWorkflow(recorded('task-1', { type: 'user', id: 'key-1' })), 'a client cancelling');
  t.notOk(writtenByItsWorkflow(recorded('instance-1', { type: 'workflow', id: 'instance-1' })), 'other workflows still wait for their signals');
});

t.test('an aggregate event carries what workflows track, and nothing of the envelope they do not', async (t) => {
  t.strictSame(aggregateEventOf(recorded('task-1', { type: 'agent', id: 'i-1' })), {
    eventId: 'e-1',
    type: 'task.queued',
    revision: 1,
    occurredAt: '2026-01-01T00:00:00.000Z',
    correlationId: 'c-1',
    data: { instance_id: 'i-1' },
  });
});

t.test('given an instance event with a spec, then the workflow is handed the revision that holds it, not the spec and its settings', async (t) => {
  const deployed = {
    ...recorded('instance-1', { type: 'api_key', id: 'k-1' }),
    type: 'instance.spec_changed',
    data: { spec: { settings: { api_token: { $sealed: {} } } } },
  };
  t.strictSame(aggregateEventOf(deployed).data, { spec_revision: 1 });
});
