import t from 'tap';
import { loadEventSchemas } from '../../commands/event-schemas.js';
import { taskDecider, taskEventTypes, type TaskCommand } from '../../domain/task/index.js';
import { teamEventTypes } from '../../domain/team/index.js';

const schemas = loadEventSchemas();

t.test('every event type has exactly one published schema, version 1', async (t) => {
  const published = schemas.schemas().map((s) => s.type).sort();
  t.same(published, [...taskEventTypes, ...teamEventTypes].sort());
  for (const type of published) t.equal(schemas.currentVersion(type), 1, type);
});

t.test('every event the task decider produces along a lifecycle matches its schema', async (t) => {
  const steps: TaskCommand[] = [
    { type: 'SubmitTask', taskId: 't-1', kind: 'echo', input: { m: 1 }, instanceId: null, requiredSkills: ['a'], timeoutSeconds: 30 },
    { type: 'DeferTask', reason: 'no instance' },
    { type: 'StartProvisioning', instanceId: 'i-1' },
    { type: 'QueueTask', instanceId: 'i-1', ackDeadline: '2026-01-01T00:00:30.000Z' },
    { type: 'RequeueTask', reason: 'not acknowledged' },
    { type: 'QueueTask', instanceId: 'i-2', ackDeadline: '2026-01-01T00:01:30.000Z' },
    { type: 'StartTask', instanceId: 'i-2' },
    { type: 'ReportProgress', percent: 10, message: null },
    { type: 'ReportProgress', percent: null, message: 'still going' },
  ];
  const endings: TaskCommand[] = [
    { type: 'CompleteTask', outputs: { m: 1 } },
    { type: 'FailTask', error: { code: 'boom', message: 'it broke' } },
    { type: 'TimeOutTask' },
    { type: 'CancelTask', reason: null },
  ];
  for (const ending of endings) {
    let state = taskDecider.initialState();
    for (const command of [...steps, ending]) {
      for (const event of taskDecider.decide(command, state)) {
        t.doesNotThrow(() => schemas.validate(event.type, event.data), `${event.type} via ${ending.type}`);
        state = taskDecider.evolve(state, event);
      }
    }
  }
});

t.test('malformed payloads are refused, naming the field', async (t) => {
  const valid = { task_id: 't', kind: 'echo', input: {}, instance_id: null, required_skills: [], timeout_seconds: null };
  t.throws(() => schemas.validate('task.submitted', { ...valid, kind: '' }), { code: 'invalid_event' });
  t.throws(() => schemas.validate('task.submitted', { ...valid, extra: 1 }), { code: 'invalid_event' });
  t.throws(() => schemas.validate('task.submitted', { ...valid, timeout_seconds: 0 }), /timeout_seconds/);
  t.throws(() => schemas.validate('task.queued', { instance_id: 'i', ack_deadline: 'tomorrow' }), /ack_deadline/);
  t.throws(() => schemas.validate('task.progressed', { percent: 120, message: null }), /percent/);
  t.throws(() => schemas.validate('task.cancelled', { reason: null, status_at_cancel: 'sleeping' }), { code: 'invalid_event' });
  t.throws(() => schemas.validate('task.unknown', {}), /no schema/);
});
