/**
 * Activities of the task workflow. Each issues at most one command to the task; placement
 * reads the instance and task read models and the team's policy, and `decidePlacement`
 * (in the domain) decides where the task goes.
 */
import { v5 as uuidv5 } from 'uuid';
import type { CommandHandlerDeps } from '../commands/handle-command.js';
import { deployInstance } from '../commands/instances.js';
import { executeTaskCommand } from '../commands/tasks.js';
import { readTeamPolicy } from '../commands/team-policy.js';
import { replay } from '../domain/shared/decider.js';
import {
  decidePlacement,
  needsAutoProvisioning,
  placementSettled,
  taskDecider,
  type AutoProvisioning,
  type InstanceToDeploy,
  type PlacementCandidate,
  type TaskEvent,
  type TaskNeeds,
  type TaskState,
} from '../domain/task/index.js';
import type { RecordedEvent } from '../events/event-store.js';
import { taskStream } from '../events/streams.js';
import { instanceCollection } from '../projections/instances/instance-projector.js';
import type { ReadStore } from '../projections/read-store.js';
import { taskCollection } from '../projections/tasks/task-projector.js';
import { issue, workflowContext } from './activity-context.js';
import { aggregateEventOf } from './aggregate-events.js';
import type { Written } from './signals.js';

export type TaskActivityDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  /** How long an agent has to acknowledge a task handed to it. */
  readonly ackTimeoutMs: number;
};

type TaskRef = {
  readonly taskId: string;
  readonly tenant: string;
  readonly correlationId: string;
  /** The last revision the workflow has seen: the answer reports the events after it. */
  readonly seen?: number;
};

/** More than a tenant's instances can hold (1000 instances of at most 64 slots, as placement lists them). */
const maxActiveTasks = 64_000;

/** Namespace of the ids of instances deployed for tasks. */
const autoProvisionNamespace = '0b6c3f0e-2d1a-4f7e-9a55-6f1f2d9c8e41';

export type Placement = Written & { readonly outcome: 'queued' | 'provisioning' | 'waiting' | 'finished' };

export const createTaskActivities = (deps: TaskActivityDeps) => {
  const tasks = taskCollection(deps.readStore);
  const instances = instanceCollection(deps.readStore);
  const contextOf = (ref: TaskRef) => workflowContext(ref.tenant, taskStream(ref.taskId), ref.correlationId);
  /**
   * The answer to the workflow: what was written, and the stream's events after what it
   * has seen, refused writes included (the agent started the run meanwhile, say). A
   * command that went through already holds the stream from revision 0.
   */
  const report = async <Answer extends Written>(ref: TaskRef, answer: Answer, known: readonly RecordedEvent[] | null = null): Promise<Answer> => {
    const from = (ref.seen ?? -1) + 1;
    const after = known
      ? known.filter((event) => event.revision >= from)
      : await deps.commands.store.readStream(taskStream(ref.taskId), { fromRevision: from });
    return { ...answer, events: after.map(aggregateEventOf) };
  };
  /** Issues the command and answers with what the workflow has not seen, from the stream the command left. */
  const command = async (ref: TaskRef, body: Parameters<typeof executeTaskCommand>[3]): Promise<Written> => {
    let stream: readonly RecordedEvent[] | null = null;
    const written = await issue(async () => {
      const result = await executeTaskCommand(deps.commands, contextOf(ref), ref.taskId, body);
      stream = result.stream;
      return result;
    });
    return report(ref, written, stream);
  };

  const stateOf = async (taskId: string): Promise<TaskState> => {
    const history = await deps.commands.store.readStream(taskStream(taskId));
    return replay(
      taskDecider,
      history.map((event) => ({ type: event.type, data: event.data }) as TaskEvent),
    );
  };

  /**
   * The slots taken on each of the tenant's instances: its tasks queued or running. One
   * list per status for all instances: a list walks every task the tenant ever had, so one
   * per instance and status made placement slower with each instance and each task.
   */
  const slotsTaken = async (tenant: string): Promise<Map<string, number>> => {
    const taken = new Map<string, number>();
    for (const status of ['queued', 'running'] as const) {
      for (const task of await tasks.list({ tenant, status }, { limit: maxActiveTasks })) {
        if (task.instance_id !== null) taken.set(task.instance_id, (taken.get(task.instance_id) ?? 0) + 1);
      }
    }
    return taken;
  };

  /** The team's auto-provisioning policy, and how many live instances it has on the policy's provider. */
  const autoProvisioningOf = async (ref: TaskRef): Promise<AutoProvisioning> => {
    const policy = (await readTeamPolicy(deps.commands, ref.tenant)).auto_provision ?? null;
    const live = policy
      ? (await instances.list({ tenant: ref.tenant, provider: policy.provider }, { limit: 1000 })).filter(
          (instance) => instance.status !== 'destroyed' && instance.status !== 'failed',
        ).length
      : 0;
    return { policy, liveInstances: live, instanceId: uuidv5(`auto-provision:${ref.taskId}`, autoProvisionNamespace) };
  };

  /** Deploys the instance placement decided on for the task, under the id decided, so a retried activity deploys once. */
  const deploy = async (ref: TaskRef, instance: InstanceToDeploy): Promise<void> => {
    const request = {
      name: `auto-${instance.instanceId.slice(0, 8)}`,
      provider: instance.provider,
      spec: { skills: instance.skills.map((name) => ({ name, version: 'latest' })) },
    };
    await issue(() => deployInstance(deps.commands, contextOf(ref), request, instance.instanceId));
  };

  /** Gathers what placement depends on, and carries out what `decidePlacement` decides. */
  const place = async (ref: TaskRef): Promise<Placement> => {
    const state = await stateOf(ref.taskId);
    // A task never submitted is not placed, as a finished one is not.
    if (state.status === 'none') return { outcome: 'finished', revision: null };
    const settled = placementSettled(state.status);
    if (settled) return { outcome: settled, revision: null };
    const view = await tasks.get(ref.taskId);
    if (!view) return { outcome: 'waiting', revision: null };
    const needs: TaskNeeds = { status: state.status, kind: view.kind, requiredSkills: view.required_skills, pinnedInstanceId: state.pinnedInstanceId };
    const taken = await slotsTaken(ref.tenant);
    const candidates = (await instances.list({ tenant: ref.tenant }, { limit: 1000 })).map((instance): PlacementCandidate => ({
      ...instance,
      slotsTaken: taken.get(instance.id) ?? 0,
    }));
    const autoProvisioning = needsAutoProvisioning(needs, candidates) ? await autoProvisioningOf(ref) : null;
    const decision = decidePlacement(needs, candidates, autoProvisioning);
    switch (decision.decision) {
      case 'queue': {
        const ackDeadline = new Date(deps.commands.env.now().getTime() + deps.ackTimeoutMs).toISOString();
        return { outcome: 'queued', ...(await command(ref, { type: 'QueueTask', instanceId: decision.instanceId, ackDeadline })) };
      }
      case 'start_provisioning':
        if (decision.deploy) await deploy(ref, decision.deploy);
        return { outcome: 'provisioning', ...(await command(ref, { type: 'StartProvisioning', instanceId: decision.instanceId })) };
      case 'defer':
        return { outcome: 'waiting', ...(await command(ref, { type: 'DeferTask', reason: decision.reason })) };
      case 'keep_waiting':
        if (decision.deploy) await deploy(ref, decision.deploy);
        return { outcome: state.status === 'provisioning' ? 'provisioning' : 'waiting', revision: null };
    }
  };

  return {
    async placeTask(ref: TaskRef): Promise<Placement> {
      const placement = await place(ref);
      // A placement that wrote has reported already; one that did not tells what is new.
      return placement.events ? placement : report(ref, placement);
    },

    async requeueTask(ref: TaskRef & { readonly reason: string }): Promise<Written> {
      return command(ref, { type: 'RequeueTask', reason: ref.reason });
    },

    async timeOutTask(ref: TaskRef): Promise<Written> {
      return command(ref, { type: 'TimeOutTask' });
    },
  };
};

export type TaskActivities = ReturnType<typeof createTaskActivities>;
