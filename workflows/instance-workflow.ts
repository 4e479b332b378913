/**
 * The instance lifecycle (DESIGN.md): provision through the provider and wait for the
 * agent to enrol, then carry out each operator request (suspend, resume, restart, backup, destroy)
 * in the order it was recorded, and fail tasks over when the agent is lost. Deterministic
 * code only; the provider is called by activities.
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { InstanceEvent, InstanceStatus } from '../domain/instance/events.js';
import { statusAfter } from '../domain/instance/state.js';
import { activityHeartbeatTimeout } from './activity-options.js';
import type { InstanceActivities } from './instance-activities.js';
import { aggregateEventSignal, type AggregateEvent, type Written } from './signals.js';

type Operation =
  | { readonly kind: 'provision' }
  | { readonly kind: 'suspend' }
  | { readonly kind: 'resume' }
  | { readonly kind: 'backup'; readonly backupId: string }
  | { readonly kind: 'restart' }
  | { readonly kind: 'destroy' }
  | { readonly kind: 'fail_over'; readonly reason: string };

export type TrackedInstance = {
  /** `unknown` until the first event is seen. */
  status: 'unknown' | InstanceStatus;
  revision: number;
  correlationId: string;
  operations: Operation[];
};

export type InstanceWorkflowInput = {
  readonly instanceId: string;
  readonly tenant: string;
  readonly first?: AggregateEvent;
  readonly carried?: TrackedInstance;
};

/** How long an agent has to enrol after the provider started it. */
const enrolmentTimeoutMs = 2 * 60 * 1000;

const activities = proxyActivities<InstanceActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: activityHeartbeatTimeout,
  retry: { initialInterval: '500 milliseconds', maximumInterval: '30 seconds' },
});

/**
 * Follows the instance through the events forwarded to it: its status by the domain's rule
 * (`statusAfter`), and the operations to carry out, in the order they were recorded.
 */
const track = (instance: TrackedInstance, event: AggregateEvent): void => {
  if (event.revision <= instance.revision) return;
  instance.revision = event.revision;
  instance.correlationId = event.correlationId;
  instance.status = statusAfter(instance.status, event.type as InstanceEvent['type']);
  const queue = (operation: Operation): void => void instance.operations.push(operation);
  switch (event.type) {
    case 'instance.deploy_requested':
      return queue({ kind: 'provision' });
    case 'instance.suspend_requested':
      return queue({ kind: 'suspend' });
    case 'instance.resume_requested':
      return queue({ kind: 'resume' });
    case 'instance.backup_requested':
      return queue({ kind: 'backup', backupId: event.data.backup_id as string });
    case 'instance.restart_requested':
      return queue({ kind: 'restart' });
    case 'instance.destroy_requested':
      // A backup asked for with the destroy was recorded (and queued) just before it.
      return queue({ kind: 'destroy' });
    case 'instance.health_changed':
      if (event.data.health === 'unhealthy') queue({ kind: 'fail_over', reason: `agent lost: ${event.data.reason as string}` });
      return;
  }
};

export async function instanceWorkflow(input: InstanceWorkflowInput): Promise<string> {
  const instance: TrackedInstance = input.carried ?? { status: 'unknown', revision: -1, correlationId: input.instanceId, operations: [] };
  setHandler(aggregateEventSignal, (event) => track(instance, event));
  if (input.first) track(instance, input.first);
  const caughtUp = async ({ revision }: Written) => {
    if (revision !== null) await condition(() => instance.revision >= revision);
  };
  const finished = () => instance.status === 'destroyed' || instance.status === 'failed';

  while (!finished()) {
    await condition(() => instance.operations.length > 0 || finished());
    const operation = instance.operations.shift();
    if (!operation) continue;
    const ref = { instanceId: input.instanceId, tenant: input.tenant, correlationId: instance.correlationId };
    switch (operation.kind) {
      case 'provision': {
        await caughtUp(await activities.provisionInstance(ref));
        const enrolled = await condition(() => instance.status !== 'provisioning', enrolmentTimeoutMs);
        if (!enrolled) await caughtUp(await activities.failProvisioning({ ...ref, reason: 'the agent did not enrol within 2 minutes' }));
        break;
      }
      case 'suspend':
        await activities.failOverTasks({ ...ref, reason: 'the instance is being suspended' });
        await caughtUp(await activities.suspendInstance(ref));
        break;
      case 'resume':
        await caughtUp(await activities.resumeInstance(ref));
        break;
      case 'backup':
        await caughtUp(await activities.backUpInstance({ ...ref, backupId: operation.backupId }));
        break;
      case 'restart':
        // Runs die with the process: their tasks are placed again rather than lost.
        await activities.failOverTasks({ ...ref, reason: 'the agent is being restarted' });
        await caughtUp(await activities.restartInstance(ref));
        break;
      case 'destroy':
        await activities.failOverTasks({ ...ref, reason: 'the instance is being destroyed' });
        await caughtUp(await activities.destroyInstance(ref));
        break;
      case 'fail_over':
        await activities.failOverTasks({ ...ref, reason: operation.reason });
        break;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof instanceWorkflow>({ instanceId: input.instanceId, tenant: input.tenant, carried: instance });
    }
  }
  return instance.status;
}
