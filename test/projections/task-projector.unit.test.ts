import t from 'tap';
import type { TaskEvent } from '../../domain/task/events.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { taskCollection, taskProjector } from '../../projections/tasks/task-projector.js';

const taskId = 'task-1';
let position = 100;
const recorded = (revision: number, event: TaskEvent, tenant = 'team-a'): RecordedEvent => ({
  id: `e-${revision}`,
  stream: `task-${taskId}`,
  revision,
  position: ++position,
  tenant,
  type: event.type,
  data: event.data,
  metadata: {
    actor: { type: 'api_key', id: 'k1' },
    correlation_id: 'c',
    causation_id: null,
    request_id: null,
    client_ip: null,
    user_agent: null,
    occurred_at: `2026-01-01T00:00:0${revision}.000Z`,
    schema_version: 1,
  },
});

const submitted = recorded(0, {
  type: 'task.submitted',
  data: {
    task_id: taskId,
    kind: 'echo',
    input: { m: 1 },
    instance_id: null,
    required_skills: [],
    timeout_seconds: null,
    max_attempts: 1,
    retry_backoff_seconds: 0,
    callback_url: null,
    rerun_of: null,
  },
});
const queued = recorded(1, { type: 'task.queued', data: { instance_id: 'i-1', ack_deadline: '2026-01-01T00:01:00.000Z' } });
const started = recorded(2, { type: 'task.started', data: { instance_id: 'i-1' } });
const completed = recorded(3, { type: 'task.completed', data: { outputs: { ok: true } } });

const project = async (events: RecordedEvent[]) => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  for (const event of events) await taskProjector.apply(event, store);
  return taskCollection(store).get(taskId);
};

t.test('given a task history, the view follows it', async (t) => {
  const view = await project([submitted, queued, started, completed]);
  t.match(view, {
    id: taskId,
    tenant: 'team-a',
    status: 'completed',
    instance_id: 'i-1',
    outputs: { ok: true },
    attempts: 1,
    revision: 3,
    position: completed.position,
    seq: submitted.position,
    created_at: '2026-01-01T00:00:00.000Z',
    started_at: '2026-01-01T00:00:02.000Z',
    finished_at: '2026-01-01T00:00:03.000Z',
  });
});

t.test('applied twice, changed once', async (t) => {
  const once = await project([submitted, queued, started]);
  const twice = await project([submitted, queued, queued, started, started, submitted]);
  t.same(twice, once);
  t.equal(twice?.attempts, 1, 'a redelivered start is not a second attempt');
});

t.test('events of other aggregates are ignored', async (t) => {
  const store = openEmbeddedReadStore({ file: ':memory:' });
  await taskProjector.apply({ ...submitted, type: 'team.created', stream: 'team-x' }, store);
  t.same(await taskCollection(store).list({}, { limit: 10 }), []);
});
