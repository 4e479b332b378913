/**
 * The task lifecycle (DESIGN.md): place the task on an eligible instance or wait for one,
 * requeue it when the agent does not acknowledge in time, fail it when it runs past its
 * timeout. Deterministic code only; every change of state is a command issued by an
 * activity. The workflow learns what happened from the events the reactor forwards (the
 * first as its input) and, for its own writes, from its activities' answers.
 */
import { allHandlersFinished, condition, continueAsNew, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { TaskEvent, TaskStatus } from '../domain/task/events.js';
import { evolveTask, initialTaskState, type TaskState } from '../domain/task/state.js';
import { activityHeartbeatTimeout } from './activity-options.js';
import { aggregateEventSignal, placementChanceSignal, type AggregateEvent, type Written } from './signals.js';
import type { TaskActivities } from './task-activities.js';

export type TrackedTask = {
  /**
   * The task as the domain folds the events seen, so which status follows which event is
   * the domain's rule alone. `task.started` is not forwarded (only reported when a requeue
   * is refused), so `attempts` and `instanceId` may lag; the workflow decides on the status.
   */
  state: TaskState;
  revision: number;
  /** When the agent must acknowledge, while queued (epoch ms). */
  ackDeadline: number | null;
  /** Not placed again before this (epoch ms), after a failed attempt. */
  retryAt: number | null;
  /** The task fails when still unfinished at this instant (epoch ms). */
  deadline: number | null;
  correlationId: string;
};

/** What runs carried through continue-as-new before they tracked the domain's state: the status alone. */
type TrackedTaskStatus = Omit<TrackedTask, 'state'> & { status: TaskStatus | 'unknown' };

export type TaskWorkflowInput = {
  readonly taskId: string;
  readonly tenant: string;
  readonly first?: AggregateEvent;
  readonly carried?: TrackedTask | TrackedTaskStatus;
};

/**
 * A state carried by an older run is taken on with its status. The rest of the domain
 * state is not known and the workflow reads none of it: it is left at the plainest task's
 * (no timeout, no pinned instance, not placed, one attempt allowed).
 */
const trackedFrom = (carried: TrackedTask | TrackedTaskStatus, taskId: string): TrackedTask => {
  if ('state' in carried) return carried;
  const { status, ...timing } = carried;
  const state: TaskState =
    status === 'unknown'
      ? initialTaskState()
      : { status, taskId, timeoutSeconds: null, pinnedInstanceId: null, instanceId: null, attempts: 0, maxAttempts: 1, retryBackoffSeconds: 0 };
  return { state, ...timing };
};

/**
 * How often a task nobody can take yet looks for an instance again: after a second, then
 * twice as long each time up to the longest. A placement chance (an instance came, a slot
 * freed) is signalled and looked at at once, so the backoff costs no latency, only polls.
 */
const placementRetryMs = 1000;
const longestPlacementRetryMs = 15_000;

const activityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
} as const;
const remoteActivities = proxyActivities<TaskActivities>({ ...activityOptions, heartbeatTimeout: activityHeartbeatTimeout });
const localActivities = proxyLocalActivities<TaskActivities>(activityOptions);
/**
 * Task activities are short commands on this worker's own event store: run as local
 * activities they cost no activity task and no second workflow task on the server.
 * Histories recorded before keep their (remote) activities.
 */
const activities = (): TaskActivities => (patched('task-local-activities') ? localActivities : remoteActivities);

const terminal = (status: TaskState['status']): boolean => status === 'completed' || status === 'failed' || status === 'cancelled';

/** Folds an event into the domain state, then sets the workflow's own timing from it. */
const track = (task: TrackedTask, event: AggregateEvent): void => {
  if (event.revision <= task.revision) return;
  task.revision = event.revision;
  task.correlationId = event.correlationId;
  task.state = evolveTask(task.state, { type: event.type, data: event.data } as TaskEvent);
  const at = Date.parse(event.occurredAt);
  switch (event.type) {
    case 'task.submitted': {
      const timeout = event.data.timeout_seconds as number | null;
      task.deadline = timeout === null ? null : at + timeout * 1000;
      return;
    }
    case 'task.queued':
      task.ackDeadline = Date.parse(event.data.ack_deadline as string);
      return;
    case 'task.started':
      task.retryAt = null;
      return;
    case 'task.attempt_failed':
      task.retryAt = at + (event.data.retry_in_seconds as number) * 1000;
      return;
  }
};

export async function taskWorkflow(input: TaskWorkflowInput): Promise<TaskStatus> {
  const task: TrackedTask = input.carried
    ? trackedFrom(input.carried, input.taskId)
    : { state: initialTaskState(), revision: -1, ackDeadline: null, retryAt: null, deadline: null, correlationId: input.taskId };
  setHandler(aggregateEventSignal, (event) => track(task, event));
  let placementChance = false;
  setHandler(placementChanceSignal, () => {
    placementChance = true;
  });
  /** Placements in a row that found no instance: the next wait doubles with each. */
  let unplaced = 0;
  if (input.first) track(task, input.first);
  const ids = { taskId: input.taskId, tenant: input.tenant };

  /** Waits until `done` holds or `ms` pass, never past the task's deadline. True if `done`. */
  const waitFor = (done: () => boolean, ms: number): Promise<boolean> => {
    const untilDeadline = task.deadline === null ? ms : task.deadline - Date.now();
    return condition(done, Math.max(1, Math.min(ms, untilDeadline)));
  };
  /**
   * After a write, its event must be known before the workflow decides again: the
   * activity's answer reports it (older answers did not, and waited for its signal).
   */
  const caughtUp = async ({ revision, events }: Written) => {
    for (const event of events ?? []) track(task, event);
    if (revision !== null) await condition(() => task.revision >= revision);
  };
  const changedSince = (revision: number) => () => task.revision > revision;

  // The domain knows no task before its `task.submitted`, the stream's first event (the input).
  await condition(() => task.state.status !== 'none');
  while (!terminal(task.state.status)) {
    const seen = task.revision;
    const cause = { correlationId: task.correlationId, seen };
    if (task.deadline !== null && Date.now() >= task.deadline) {
      await caughtUp(await activities().timeOutTask({ ...ids, ...cause }));
      continue;
    }
    switch (task.state.status) {
      case 'pending':
      case 'waiting':
      case 'provisioning': {
        if (task.retryAt !== null && Date.now() < task.retryAt) {
          await waitFor(changedSince(seen), task.retryAt - Date.now());
          break;
        }
        placementChance = false;
        const placed = await activities().placeTask({ ...ids, ...cause });
        await caughtUp(placed);
        if (placed.outcome === 'queued') unplaced = 0;
        else {
          const changed = changedSince(task.revision);
          await waitFor(() => changed() || placementChance, Math.min(longestPlacementRetryMs, placementRetryMs * 2 ** unplaced++));
        }
        break;
      }
      case 'queued': {
        const acknowledged = await waitFor(changedSince(seen), (task.ackDeadline ?? Date.now()) - Date.now());
        // `task.started` is not signalled: an acknowledged task is still `queued` here, and
        // the requeue, refused, reports the start.
        if (!acknowledged && task.state.status === 'queued' && Date.now() >= (task.ackDeadline ?? 0)) {
          await caughtUp(await activities().requeueTask({ ...ids, ...cause, reason: 'the agent did not acknowledge in time' }));
        }
        break;
      }
      case 'running':
        // Completion, failure or a lost agent (failed over by the instance workflow) all arrive as events.
        await waitFor(changedSince(seen), 24 * 3600 * 1000);
        break;
      default:
        break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof taskWorkflow>({ taskId: input.taskId, tenant: input.tenant, carried: task });
    }
  }
  return task.state.status as TaskStatus;
}
