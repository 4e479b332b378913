import t from 'tap';
import type { AlertEvent } from '../../domain/alert/index.js';
import type { InstanceEvent } from '../../domain/instance/index.js';
import type { TaskEvent } from '../../domain/task/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { alertIdFor, createAlertRuleEngine } from '../../processes/alert-rules/engine.js';
import { alertRules } from '../../processes/alert-rules/rules.js';

let position = 0;
const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 0, 1, 0, minute, second)).toISOString();

const recorded = (stream: string, event: InstanceEvent | TaskEvent | AlertEvent, occurredAt = at(0)): RecordedEvent => ({
  id: `event-${++position}`,
  stream,
  revision: position,
  position,
  tenant: 'team-a',
  type: event.type,
  data: event.data,
  metadata: {
    actor: { type: 'system', id: 't' },
    correlation_id: 'c',
    causation_id: null,
    request_id: null,
    client_ip: null,
    user_agent: null,
    occurred_at: occurredAt,
    schema_version: 1,
  },
});

const spec = { skills: [], runtime_version: null, settings: {}, resources: { cpus: null, memory_mb: null, ports: [], region: null }, max_concurrent_tasks: 4 };
const deployed = (instanceId: string) =>
  recorded(`instance-${instanceId}`, {
    type: 'instance.deploy_requested',
    data: { instance_id: instanceId, name: `box-${instanceId}`, provider: 'local', spec },
  });
const health = (instanceId: string, value: 'healthy' | 'unhealthy', reason = value === 'healthy' ? 'heartbeats arrive' : 'no heartbeat for 3 s') =>
  recorded(`instance-${instanceId}`, { type: 'instance.health_changed', data: { health: value, reason } });
const destroyed = (instanceId: string) => recorded(`instance-${instanceId}`, { type: 'instance.destroyed', data: {} });
const started = (taskId: string, instanceId: string, minute = 0) =>
  recorded(`task-${taskId}`, { type: 'task.started', data: { instance_id: instanceId } }, at(minute));
const attemptFailed = (taskId: string, minute: number, code = 'exit_1') =>
  recorded(`task-${taskId}`, { type: 'task.attempt_failed', data: { attempt: 1, error: { code, message: 'it broke' }, retry_in_seconds: 1 } }, at(minute));
const failed = (taskId: string, minute: number, code = 'exit_1') =>
  recorded(`task-${taskId}`, { type: 'task.failed', data: { error: { code, message: 'it broke' } } }, at(minute));
const completed = (taskId: string, minute: number) => recorded(`task-${taskId}`, { type: 'task.completed', data: { outputs: {} } }, at(minute));
const operatorResolved = (alertId: string) => recorded(`alert-${alertId}`, { type: 'alert.resolved', data: { reason: 'looked into it' } });

/** What the engine asks for over `events`, in order. */
const requestsOver = (events: RecordedEvent[]) => {
  const engine = createAlertRuleEngine(alertRules());
  return events.flatMap((event) => engine.observe(event));
};

const instance = { type: 'instance', id: 'i-1' };

t.test('an instance turning unhealthy raises one alert, resolved once it is healthy again', async (t) => {
  const unhealthy = health('i-1', 'unhealthy');
  const alertId = alertIdFor('instance_unhealthy', instance, unhealthy.id);
  t.strictSame(
    requestsOver([deployed('i-1'), health('i-1', 'healthy'), unhealthy, health('i-1', 'unhealthy'), health('i-1', 'healthy'), health('i-1', 'healthy')]),
    [
      {
        tenant: 'team-a',
        alertId,
        command: {
          type: 'RaiseAlert',
          alertId,
          rule: 'instance_unhealthy',
          severity: 'high',
          subject: instance,
          message: 'instance box-i-1 (i-1) is unhealthy: no heartbeat for 3 s',
        },
      },
      { tenant: 'team-a', alertId, command: { type: 'ResolveAlert', reason: 'the instance is healthy again: heartbeats arrive' } },
    ],
  );
});

t.test('each time the instance turns unhealthy anew, a new alert with an id of its own is raised', async (t) => {
  const first = health('i-1', 'unhealthy');
  const second = health('i-1', 'unhealthy');
  const raised = requestsOver([deployed('i-1'), first, health('i-1', 'healthy'), second]).filter((request) => request.command.type === 'RaiseAlert');
  t.same(
    raised.map((request) => request.alertId),
    [alertIdFor('instance_unhealthy', instance, first.id), alertIdFor('instance_unhealthy', instance, second.id)],
  );
  t.not(raised[0]?.alertId, raised[1]?.alertId);
});

t.test('an alert an operator resolved is not resolved again; the next unhealthy spell raises a new one', async (t) => {
  const first = health('i-1', 'unhealthy');
  const alertId = alertIdFor('instance_unhealthy', instance, first.id);
  const again = health('i-1', 'unhealthy');
  const requests = requestsOver([deployed('i-1'), first, operatorResolved(alertId), health('i-1', 'healthy'), again]);
  t.same(
    requests.map((request) => [request.command.type, request.alertId]),
    [
      ['RaiseAlert', alertId],
      ['RaiseAlert', alertIdFor('instance_unhealthy', instance, again.id)],
    ],
  );
});

t.test('a destroyed instance has its open alerts resolved', async (t) => {
  const requests = requestsOver([deployed('i-1'), health('i-1', 'unhealthy'), destroyed('i-1')]);
  t.same(
    requests.map((request) => request.command),
    [
      {
        type: 'RaiseAlert',
        alertId: requests[0]?.alertId,
        rule: 'instance_unhealthy',
        severity: 'high',
        subject: instance,
        message: 'instance box-i-1 (i-1) is unhealthy: no heartbeat for 3 s',
      },
      { type: 'ResolveAlert', reason: 'the instance was destroyed' },
    ],
  );
});

t.test('three failed runs on one instance within 10 minutes raise a task failure alert; a completed task resolves it', async (t) => {
  const third = attemptFailed('t-3', 9);
  const alertId = alertIdFor('task_failure_rate', instance, third.id);
  const requests = requestsOver([
    deployed('i-1'),
    started('t-1', 'i-1'),
    failed('t-1', 1),
    started('t-2', 'i-1'),
    attemptFailed('t-2', 2),
    started('t-3', 'i-1'),
    third,
    started('t-4', 'i-1'),
    failed('t-4', 9, 'exit_2'),
    started('t-5', 'i-1'),
    completed('t-5', 12),
  ]);
  t.strictSame(requests, [
    {
      tenant: 'team-a',
      alertId,
      command: {
        type: 'RaiseAlert',
        alertId,
        rule: 'task_failure_rate',
        severity: 'medium',
        subject: instance,
        message: '3 task runs failed on instance box-i-1 (i-1) within 10 minutes; the last: exit_1: it broke',
      },
    },
    { tenant: 'team-a', alertId, command: { type: 'ResolveAlert', reason: 'task t-5 completed on it' } },
  ]);
});

t.test('failures spread wider than the window, on other instances, or failed over by Bosun raise nothing', async (t) => {
  t.same(
    requestsOver([started('t-1', 'i-1'), failed('t-1', 0), started('t-2', 'i-1'), failed('t-2', 6), started('t-3', 'i-1'), failed('t-3', 11)]),
    [],
    'spread over 11 minutes',
  );
  t.same(
    requestsOver([started('t-1', 'i-1'), failed('t-1', 0), started('t-2', 'i-2'), failed('t-2', 1), started('t-3', 'i-1'), failed('t-3', 2)]),
    [],
    'two instances',
  );
  t.same(
    requestsOver([
      started('t-1', 'i-1'),
      failed('t-1', 0, 'agent_lost'),
      started('t-2', 'i-1'),
      failed('t-2', 1, 'agent_lost'),
      started('t-3', 'i-1'),
      failed('t-3', 2, 'agent_lost'),
    ]),
    [],
    'suspended, destroyed or lost agents',
  );
  t.same(requestsOver([failed('t-9', 0), failed('t-9', 1), failed('t-9', 2)]), [], 'never started anywhere known');
});

t.test('replayed from the start, the rules ask for exactly the same alerts, with the same ids', async (t) => {
  const history = [
    deployed('i-1'),
    health('i-1', 'unhealthy'),
    started('t-1', 'i-1'),
    failed('t-1', 1),
    started('t-2', 'i-1'),
    failed('t-2', 2),
    started('t-3', 'i-1'),
    failed('t-3', 3),
    health('i-1', 'healthy'),
  ];
  const first = requestsOver(history);
  t.equal(first.length, 3);
  t.strictSame(requestsOver(history), first);
});
