import t from 'tap';
import { loadEventSchemas } from '../../commands/event-schemas.js';
import { taskEventTypes } from '../../domain/task/index.js';
import { teamEventTypes } from '../../domain/team/index.js';

// The schema files themselves are specified in test/domain/task/task-event-schemas.unit.test.ts;
// this is the registry that guards every append.
const schemas = loadEventSchemas();

t.test('the registry publishes one current schema for every event type of every aggregate', async (t) => {
  t.same(schemas.schemas().map((s) => s.type).sort(), [...taskEventTypes, ...teamEventTypes].sort());
  for (const type of [...taskEventTypes, ...teamEventTypes]) t.equal(schemas.currentVersion(type), 1, type);
});

t.test('an event that does not match its schema is refused, naming the field', async (t) => {
  t.doesNotThrow(() => schemas.validate('team.api_key_revoked', { key_id: 'k-1' }));
  t.throws(() => schemas.validate('team.api_key_revoked', {}), { code: 'invalid_event', message: /key_id/ });
  t.throws(() => schemas.validate('team.api_key_issued', { key_id: 'k', name: 'n', role: 'root', key_hash: 'x', key_prefix: 'p' }), {
    code: 'invalid_event',
    message: /role/,
  });
  t.throws(() => schemas.validate('task.queued', { instance_id: 'i', ack_deadline: 'tomorrow' }), { code: 'invalid_event', message: /ack_deadline/ });
});

t.test('an event type without a published schema cannot be appended', async (t) => {
  t.throws(() => schemas.validate('task.teleported', {}), { code: 'invalid_event', message: /no schema/ });
  t.throws(() => schemas.currentVersion('task.teleported'), { code: 'invalid_event' });
});
