/**
 * The drift lifecycle of one instance (DESIGN.md): for each drift, propose a remediation
 * plan (approved at once when the team's policy allows), run the approved plan through the
 * agent as a `config.apply` task, and have the next snapshots verify it; a remediation whose
 * task failed, or that the snapshots do not confirm in time, is escalated. Snapshots
 * themselves (detection, verification) are recorded by the heartbeat handler; this
 * workflow learns of them, and of the task's end, from what the reactor forwards.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { activityHeartbeatTimeout } from './activity-options.js';
import type { DriftActivities } from './drift-activities.js';
import { remediationTaskSignal, type RemediationTaskOutcome } from './drift-signals.js';
import { aggregateEventSignal, type AggregateEvent, type Written } from './signals.js';

export type TrackedDrift = {
  revision: number;
  correlationId: string;
  /** The open drift, if any. */
  driftId: string | null;
  status: 'none' | 'open' | 'remediating' | 'escalated';
  /** A plan was proposed for the drift's current differences. */
  planned: boolean;
  approved: boolean;
  /** The remediation's task, while remediating. */
  taskId: string | null;
  /** The differences changed after the task ended: what it did is on record, and it did not suffice. */
  changedAfterTask: boolean;
  /** How long snapshots have to confirm a remediation, as the activity that started it said. */
  verifyWithinMs: number;
  /** Ends of remediation tasks by task id; one may arrive before the drift event naming its task. */
  outcomes: Record<string, RemediationTaskOutcome>;
};

export type DriftWorkflowInput = { readonly instanceId: string; readonly tenant: string; readonly first?: AggregateEvent; readonly carried?: TrackedDrift };

/** After an activity that wrote nothing, how long to wait for news before looking again. */
const recheckMs = 5000;

const activities = proxyActivities<DriftActivities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: activityHeartbeatTimeout,
  retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' },
});

const closeDrift = (drift: TrackedDrift): void => {
  if (drift.taskId !== null) delete drift.outcomes[drift.taskId];
  drift.status = 'none';
  drift.driftId = null;
  drift.taskId = null;
};

const track = (drift: TrackedDrift, event: AggregateEvent): void => {
  if (event.revision <= drift.revision) return;
  drift.revision = event.revision;
  drift.correlationId = event.correlationId;
  switch (event.type) {
    case 'drift.detected':
      drift.driftId = event.data.drift_id as string;
      drift.status = 'open';
      drift.planned = false;
      drift.approved = false;
      return;
    case 'drift.changed':
      if (drift.status === 'remediating') {
        drift.changedAfterTask ||= drift.taskId !== null && drift.taskId in drift.outcomes;
        return;
      }
      drift.status = 'open';
      drift.planned = false;
      drift.approved = false;
      return;
    case 'drift.remediation_proposed':
      drift.status = 'open';
      drift.planned = true;
      drift.approved = false;
      return;
    case 'drift.remediation_approved':
      drift.approved = true;
      return;
    case 'drift.remediation_started':
      drift.status = 'remediating';
      drift.taskId = event.data.task_id as string;
      drift.changedAfterTask = false;
      return;
    case 'drift.remediation_failed':
    case 'drift.escalated':
      if (drift.taskId !== null) delete drift.outcomes[drift.taskId];
      // Escalated: the next step is an operator's (execute, dismiss) or a changed difference.
      drift.status = 'escalated';
      drift.approved = false;
      drift.taskId = null;
      return;
    case 'drift.resolved':
    case 'drift.dismissed':
      return closeDrift(drift);
  }
};

type Step = 'propose' | 'start' | 'verify';

const nextStep = (drift: TrackedDrift): Step | null => {
  if (drift.status === 'open') return !drift.planned ? 'propose' : drift.approved ? 'start' : null;
  if (drift.status === 'remediating' && drift.taskId !== null && drift.taskId in drift.outcomes) return 'verify';
  return null;
};

export async function driftWorkflow(input: DriftWorkflowInput): Promise<void> {
  const drift: TrackedDrift = input.carried ?? {
    revision: -1,
    correlationId: `drift-${input.instanceId}`,
    driftId: null,
    status: 'none',
    planned: false,
    approved: false,
    taskId: null,
    changedAfterTask: false,
    verifyWithinMs: 0,
    outcomes: {},
  };
  setHandler(aggregateEventSignal, (event) => track(drift, event));
  if (input.first) track(drift, input.first);
  setHandler(remediationTaskSignal, (outcome) => {
    drift.outcomes[outcome.taskId] = outcome;
  });

  /** After a write, its event must come back before the workflow decides again; after none, news is awaited a while. */
  const caughtUp = async ({ revision }: Written, seen: number) => {
    if (revision !== null) await condition(() => drift.revision >= revision);
    else await condition(() => drift.revision > seen, recheckMs);
  };

  /** The task ended: a failure escalates at once; a success waits for a snapshot to confirm it. */
  const verify = async (driftId: string, taskId: string, outcome: RemediationTaskOutcome) => {
    const ref = { instanceId: input.instanceId, tenant: input.tenant, correlationId: drift.correlationId, driftId };
    let reason = `the config.apply task ${taskId} ${outcome.status}: ${outcome.reason ?? ''}`;
    if (outcome.status === 'completed') {
      const settled = () => drift.status !== 'remediating' || drift.taskId !== taskId || drift.changedAfterTask;
      await condition(settled, drift.verifyWithinMs);
      if (drift.status !== 'remediating' || drift.taskId !== taskId) return;
      reason = drift.changedAfterTask
        ? 'the snapshot after the remediation still differs from the desired spec'
        : `no snapshot matched the desired spec within ${drift.verifyWithinMs / 1000} s of the remediation`;
    }
    const seen = drift.revision;
    await caughtUp(await activities.failRemediation({ ...ref, taskId, reason }), seen);
  };

  for (;;) {
    await condition(() => nextStep(drift) !== null || workflowInfo().continueAsNewSuggested);
    const step = nextStep(drift);
    const driftId = drift.driftId;
    if (step !== null && driftId !== null) {
      const ref = { instanceId: input.instanceId, tenant: input.tenant, correlationId: drift.correlationId, driftId };
      const seen = drift.revision;
      switch (step) {
        case 'propose':
          await caughtUp(await activities.proposeRemediation(ref), seen);
          break;
        case 'start': {
          const started = await activities.startRemediation(ref);
          drift.verifyWithinMs = started.verifyWithinMs;
          await caughtUp(started, seen);
          break;
        }
        case 'verify': {
          const taskId = drift.taskId as string;
          await verify(driftId, taskId, drift.outcomes[taskId] as RemediationTaskOutcome);
          break;
        }
      }
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof driftWorkflow>({ instanceId: input.instanceId, tenant: input.tenant, carried: drift });
    }
  }
}
