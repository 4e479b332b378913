import t from 'tap';
import { uuidv7 } from '../../infra/ids.js';
import { apiSpecification, type StreamEvent } from './specification.js';

/** Events of one task, as the submit route, the task workflow and the agent append them. */
const task = (taskId = uuidv7()) => {
  const stream = `task-${taskId}`;
  return {
    taskId,
    stream,
    submitted: {
      stream,
      type: 'task.submitted',
      data: {
        task_id: taskId,
        kind: 'echo',
        input: {},
        instance_id: null,
        required_skills: [],
        timeout_seconds: null,
        max_attempts: 3,
        retry_backoff_seconds: 1,
        callback_url: null,
        rerun_of: null,
      },
    },
    queued: { stream, type: 'task.queued', data: { instance_id: 'instance-1', ack_deadline: '2030-01-01T00:00:00.000Z' } },
    started: { stream, type: 'task.started', data: { instance_id: 'instance-1' } },
    completed: { stream, type: 'task.completed', data: { outputs: { ok: true } } },
  };
};

const spec = (settings: Record<string, unknown>) => ({
  skills: [],
  runtime_version: '1.4.0',
  settings,
  resources: { cpus: 2, memory_mb: null, ports: [], region: null },
  max_concurrent_tasks: 1,
});

/** An instance deployed and provisioned: `running`. */
const runningInstance = (instanceId = uuidv7()): StreamEvent[] => [
  {
    stream: `instance-${instanceId}`,
    type: 'instance.deploy_requested',
    data: { instance_id: instanceId, name: 'worker', provider: 'local', spec: spec({ timeout: 30, region: 'eu' }) },
  },
  { stream: `instance-${instanceId}`, type: 'instance.provisioned', data: { endpoint: 'http://127.0.0.1:9000' } },
];

t.test('API specifications', async (t) => {
  const api = await apiSpecification(t);

  t.test(
    'given nothing, when a task is submitted, then 202 with the pending task and one task.submitted with the default retry policy',
    api
      .given([])
      .when('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { n: 1 } } })
      .then({
        status: 202,
        body: { object: 'task', status: 'pending', kind: 'echo', input: { n: 1 }, revision: 0 },
        events: (answer) => [
          {
            stream: `task-${answer.body.id}`,
            type: 'task.submitted',
            data: {
              task_id: answer.body.id,
              kind: 'echo',
              input: { n: 1 },
              instance_id: null,
              required_skills: [],
              timeout_seconds: null,
              max_attempts: 3,
              retry_backoff_seconds: 1,
              callback_url: null,
              rerun_of: null,
            },
          },
        ],
      }),
  );

  const pinned = uuidv7();
  t.test(
    'given a running instance of the team, when a task is submitted pinned to it, then the task.submitted names the instance',
    api
      .given(runningInstance(pinned))
      .when('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, instance_id: pinned, retry: { max_attempts: 1 } } })
      .then({
        status: 202,
        body: { requested_instance_id: pinned, instance_id: null },
        events: (answer) => [
          {
            stream: `task-${answer.body.id}`,
            type: 'task.submitted',
            data: {
              task_id: answer.body.id,
              kind: 'echo',
              input: {},
              instance_id: pinned,
              required_skills: [],
              timeout_seconds: null,
              max_attempts: 1,
              retry_backoff_seconds: 1,
              callback_url: null,
              rerun_of: null,
            },
          },
        ],
      }),
  );

  t.test(
    'given nothing, when a task is submitted pinned to an instance that does not exist, then 400 naming instance_id and nothing is appended',
    api
      .given([])
      .when('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, instance_id: uuidv7() } })
      .then({ status: 400, body: { error: { type: 'invalid_request_error', code: 'instance_missing', param: 'instance_id' } }, events: [] }),
  );

  const running = task();
  t.test(
    'given a submitted, queued and started task, when it is cancelled, then 200 with the cancelled task and one task.cancelled from running',
    api
      .given([running.submitted, running.queued, running.started])
      .when('POST', `/api/v1/tasks/${running.taskId}/cancel`, { body: { reason: 'not needed' } })
      .then({
        status: 200,
        body: { id: running.taskId, status: 'cancelled', cancel_reason: 'not needed', revision: 3 },
        events: [{ stream: running.stream, type: 'task.cancelled', data: { reason: 'not needed', status_at_cancel: 'running' } }],
      }),
  );

  const completed = task();
  t.test(
    'given a completed task, when it is cancelled, then 409 naming its state and nothing is appended',
    api
      .given([completed.submitted, completed.queued, completed.started, completed.completed])
      .when('POST', `/api/v1/tasks/${completed.taskId}/cancel`)
      .then({ status: 409, body: { error: { type: 'conflict_error', code: 'illegal_transition', message: /completed/ } }, events: [] }),
  );

  const finished = task();
  const pinnedTo = uuidv7();
  const pinnedSubmitted = {
    ...finished.submitted,
    data: {
      ...finished.submitted.data,
      input: { n: 7 },
      instance_id: pinnedTo,
      required_skills: ['shell'],
      timeout_seconds: 60,
      max_attempts: 2,
      retry_backoff_seconds: 4,
    },
  };
  t.test(
    'given a completed task pinned to an instance, when it is rerun, then 202 with a new task and one task.submitted with the same input, naming the first',
    api
      .given([...runningInstance(pinnedTo), pinnedSubmitted, finished.queued, finished.started, finished.completed])
      .when('POST', `/api/v1/tasks/${finished.taskId}/rerun`)
      .then({
        status: 202,
        body: { status: 'pending', rerun_of: finished.taskId, requested_instance_id: pinnedTo, input: { n: 7 }, revision: 0 },
        events: (answer) => [
          {
            stream: `task-${answer.body.id}`,
            type: 'task.submitted',
            data: { ...pinnedSubmitted.data, task_id: answer.body.id, rerun_of: finished.taskId },
          },
        ],
      }),
  );

  const stillRunning = task();
  t.test(
    'given a running task, when it is rerun, then 409 naming its status and nothing is appended',
    api
      .given([stillRunning.submitted, stillRunning.queued, stillRunning.started])
      .when('POST', `/api/v1/tasks/${stillRunning.taskId}/rerun`)
      .then({ status: 409, body: { error: { type: 'conflict_error', code: 'task_not_finished', message: /running/ } }, events: [] }),
  );

  const patched = uuidv7();
  t.test(
    'given a running instance, when its spec is changed with a merge patch, then 200 and one instance.spec_changed with the whole merged spec',
    api
      .given(runningInstance(patched))
      .when('PATCH', `/api/v1/instances/${patched}`, {
        body: { spec: { settings: { timeout: 60, region: null }, resources: { memory_mb: 512 } } },
        headers: { 'content-type': 'application/merge-patch+json' },
      })
      .then({
        status: 200,
        body: { id: patched, status: 'running', spec: { settings: { timeout: 60 }, resources: { memory_mb: 512 } }, revision: 2 },
        // `resources` is replaced whole: fields left out of it take their defaults.
        events: [
          {
            stream: `instance-${patched}`,
            type: 'instance.spec_changed',
            data: { spec: { ...spec({ timeout: 60 }), resources: { cpus: null, memory_mb: 512, ports: [], region: null } } },
          },
        ],
      }),
  );

  const drifting = uuidv7();
  const driftId = uuidv7();
  const detected = {
    stream: `drift-${drifting}`,
    type: 'drift.detected',
    data: {
      drift_id: driftId,
      items: [{ kind: 'setting_mismatch', path: 'settings.timeout', severity: 'medium', expected: 30, actual: 45 }],
      severity: 'medium',
      fingerprint: 'settings.timeout=45',
    },
  };
  // The route finds the drift in its read model: the GIVEN is projected before the request.
  t.test(
    'given a running instance with a drift detected, when the drift is dismissed, then 200 with the dismissed drift and one drift.dismissed with the reason',
    api
      .given([...runningInstance(drifting), detected])
      .when('POST', `/api/v1/drift-events/${driftId}/dismiss`, { body: { reason: 'the longer timeout is intended' } })
      .then({
        status: 200,
        body: { id: driftId, instance_id: drifting, status: 'dismissed' },
        events: [{ stream: detected.stream, type: 'drift.dismissed', data: { drift_id: driftId, reason: 'the longer timeout is intended' } }],
      }),
  );

  /** An alert the instance_unhealthy rule raised. */
  const raisedAlert = (alertId = uuidv7()) => ({
    alertId,
    stream: `alert-${alertId}`,
    raised: {
      stream: `alert-${alertId}`,
      type: 'alert.raised',
      data: {
        alert_id: alertId,
        rule: 'instance_unhealthy',
        severity: 'high',
        subject: { type: 'instance', id: 'instance-1' },
        message: 'instance-1 is unhealthy',
      },
    },
  });

  const open = raisedAlert();
  t.test(
    'given a raised alert, when it is acknowledged, then 200 with the acknowledged alert and one alert.acknowledged',
    api
      .given([open.raised])
      .when('POST', `/api/v1/alerts/${open.alertId}/acknowledge`)
      .then({ status: 200, body: { id: open.alertId, status: 'acknowledged' }, events: [{ stream: open.stream, type: 'alert.acknowledged', data: {} }] }),
  );

  const seen = raisedAlert();
  t.test(
    'given an acknowledged alert, when it is acknowledged again, then 409 naming its state and nothing is appended',
    api
      .given([seen.raised, { stream: seen.stream, type: 'alert.acknowledged', data: {} }])
      .when('POST', `/api/v1/alerts/${seen.alertId}/acknowledge`)
      .then({ status: 409, body: { error: { type: 'conflict_error', message: /acknowledged/ } }, events: [] }),
  );
});
