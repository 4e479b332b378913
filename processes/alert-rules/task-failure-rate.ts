import type { TaskAttemptFailed, TaskFailed, TaskStarted } from '../../domain/task/index.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { idOfStream } from '../../events/streams.js';
import { instanceNames } from './instance-names.js';
import type { AlertRule, AlertSignal } from './rule.js';

export type TaskFailureRateOptions = {
  /** Failed runs on one instance that raise the alert. @defaultValue 3 */
  readonly threshold?: number;
  /** How close together they must be. @defaultValue 10 minutes */
  readonly windowMs?: number;
};

/**
 * Runs Bosun failed over itself (the instance was suspended, destroyed or lost its agent):
 * not the instance failing its tasks. A lost agent is the `instance_unhealthy` rule's alert.
 */
const failedOverCode = 'agent_lost';

/**
 * An instance on which task runs keep failing (`task.failed` or `task.attempt_failed`,
 * `threshold` of them within `windowMs`) raises an alert; it is resolved when the instance
 * completes a task, or is destroyed.
 */
export const taskFailureRateRule = (options: TaskFailureRateOptions = {}): AlertRule => {
  const threshold = options.threshold ?? 3;
  const windowMs = options.windowMs ?? 10 * 60 * 1000;
  const names = instanceNames();
  /** The instance each unfinished task last started on: failure events do not name it. */
  const instanceOfTask = new Map<string, string>();
  /** Times of the recent failed runs on each instance, oldest first. */
  const failures = new Map<string, number[]>();

  const runFailed = (event: RecordedEvent, instanceId: string): AlertSignal[] => {
    const { error } = event.data as (TaskFailed | TaskAttemptFailed)['data'];
    if (error.code === failedOverCode) return [];
    const at = Date.parse(event.metadata.occurred_at);
    const recent = [...(failures.get(instanceId) ?? []).filter((time) => time > at - windowMs), at];
    if (recent.length < threshold) {
      failures.set(instanceId, recent);
      return [];
    }
    // Counted afresh from here: once resolved, it takes `threshold` new failures to raise again.
    failures.delete(instanceId);
    const message = `${recent.length} task runs failed on ${names.describe(instanceId)} within ${windowMs / 60_000} minutes; the last: ${error.code}: ${error.message}`;
    return [{ kind: 'raise', subject: { type: 'instance', id: instanceId }, severity: 'medium', message }];
  };

  type Snapshot = { names: unknown; instanceOfTask: [string, string][]; failures: [string, number[]][] };
  return {
    name: 'task_failure_rate',
    snapshot: (): Snapshot => ({ names: names.snapshot(), instanceOfTask: [...instanceOfTask], failures: [...failures] }),
    restore: (snapshot) => {
      const state = snapshot as Snapshot;
      names.restore(state.names);
      for (const [task, instance] of state.instanceOfTask) instanceOfTask.set(task, instance);
      for (const [instance, times] of state.failures) failures.set(instance, times);
    },
    observe: (event) => {
      names.observe(event);
      if (event.type === 'instance.destroyed') {
        const instanceId = idOfStream(event.stream);
        failures.delete(instanceId);
        return [{ kind: 'resolve', subject: { type: 'instance', id: instanceId }, reason: 'the instance was destroyed' }];
      }
      if (!event.type.startsWith('task.')) return [];
      const taskId = idOfStream(event.stream);
      const instanceId = instanceOfTask.get(taskId);
      switch (event.type) {
        case 'task.started':
          instanceOfTask.set(taskId, (event.data as TaskStarted['data']).instance_id);
          return [];
        case 'task.attempt_failed':
          return instanceId === undefined ? [] : runFailed(event, instanceId);
        case 'task.failed':
          instanceOfTask.delete(taskId);
          return instanceId === undefined ? [] : runFailed(event, instanceId);
        case 'task.completed':
          instanceOfTask.delete(taskId);
          return instanceId === undefined ? [] : [{ kind: 'resolve', subject: { type: 'instance', id: instanceId }, reason: `task ${taskId} completed on it` }];
        case 'task.timed_out':
        case 'task.cancelled':
          instanceOfTask.delete(taskId);
          return [];
        default:
          return [];
      }
    },
  };
};
