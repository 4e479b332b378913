import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import pino from 'pino';
import t from 'tap';
import type { RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedReadStore } from '../../infra/embedded-read-store.js';
import { taskCollection } from '../../projections/tasks/task-projector.js';
import type { TaskView } from '../../projections/tasks/task-view.js';
import { PlacementWaker } from '../../workflows/placement-waker.js';

/** A client whose signals are recorded; workflows of `gone` tasks are not found. */
const recordingClient = (gone: string[] = []) => {
  const signalled: string[] = [];
  const client = {
    workflow: {
      getHandle: (workflowId: string) => ({
        signal: async () => {
          if (gone.includes(workflowId)) throw new WorkflowNotFoundError('finished', workflowId, undefined);
          signalled.push(workflowId);
        },
      }),
    },
  } as unknown as Client;
  return { client, signalled };
};

const event = (stream: string, type: string, tenant = 'team-a') => ({ stream, type, tenant }) as RecordedEvent;

const setUp = async (gone: string[] = []) => {
  const lookups = openEmbeddedReadStore({ file: ':memory:' });
  const tasks = taskCollection(lookups);
  let seq = 0;
  const task = (id: string, tenant: string, status: string, createdAt: string) =>
    tasks.put({ id, tenant, status, created_at: createdAt, seq: ++seq, revision: 0 } as unknown as TaskView);
  // Given waiting tasks of two teams, and tasks past waiting
  await task('old', 'team-a', 'waiting', '2026-12-06T10:00:00.000Z');
  await task('new', 'team-a', 'pending', '2026-12-06T10:05:00.000Z');
  await task('placing', 'team-a', 'provisioning', '2026-12-06T10:03:00.000Z');
  await task('running', 'team-a', 'running', '2026-12-06T09:00:00.000Z');
  await task('other', 'team-b', 'waiting', '2026-12-06T09:00:00.000Z');
  const { client, signalled } = recordingClient(gone);
  const waker = new PlacementWaker({ client, lookups, logger: pino({ enabled: false }), gatherMs: 10, tasksPerWake: 2 });
  return { waker, signalled, lookups };
};

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

t.test("an event that can make room wakes the team's oldest waiting tasks, once per window", async (t) => {
  const { waker, signalled } = await setUp();
  // When a slot is freed and an instance changes within one window
  waker.notify([event('task-x', 'task.completed'), event('instance-i', 'instance.health_changed')]);
  await settle();
  await waker.stop();
  // Then the two oldest waiting tasks of that team alone are signalled, each once
  t.same(signalled, ['task-old', 'task-placing']);
});

t.test('events that make no room wake nobody', async (t) => {
  const { waker, signalled } = await setUp();
  waker.notify([event('task-x', 'task.submitted'), event('task-x', 'task.queued'), event('alert-1', 'alert.raised')]);
  await settle();
  await waker.stop();
  t.same(signalled, []);
});

t.test('a task whose workflow ended meanwhile is skipped; the others are still woken', async (t) => {
  const { waker, signalled } = await setUp(['task-old']);
  waker.notify([event('team-b', 'team.policy_changed', 'team-b'), event('instance-i', 'instance.provisioned')]);
  await settle();
  await waker.stop();
  t.same(signalled.sort(), ['task-other', 'task-placing']);
});
