/**
 * Activities of the task workflow. Each issues at most one command; placement reads the
 * instance and task read models to find an eligible instance.
 */
import { v5 as uuidv5 } from 'uuid';
import type { CommandHandlerDeps } from '../commands/handle-command.js';
import { deployInstance } from '../commands/instances.js';
import { executeTaskCommand } from '../commands/tasks.js';
import { readTeamPolicy } from '../commands/team-policy.js';
import { replay } from '../domain/shared/decider.js';
import { taskDecider, type TaskEvent, type TaskState } from '../domain/task/index.js';
import type { RecordedEvent } from '../events/event-store.js';
import { taskStream } from '../events/streams.js';
import { instanceCollection } from '../projections/instances/instance-projector.js';
import type { InstanceView } from '../projections/instances/instance-view.js';
import type { ReadStore } from '../projections/read-store.js';
import { taskCollection } from '../projections/tasks/task-projector.js';
import type { TaskView } from '../projections/tasks/task-view.js';
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

const enabledSkills = (instance: InstanceView): Set<string> =>
  new Set(instance.spec.skills.filter((skill) => skill.enabled !== false).map((skill) => skill.name));

/** Can `instance` run a task of `kind` needing `skills`, leaving load aside? */
const suits = (instance: InstanceView, kind: string, skills: readonly string[], pinned: string | null): boolean => {
  if (pinned !== null && instance.id !== pinned) return false;
  if (kind === 'shell' && instance.spec.settings.allow_shell !== true) return false;
  const has = enabledSkills(instance);
  return skills.every((skill) => has.has(skill));
};

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

  /**
   * Deploys an instance for a task nobody can take, when the team's policy allows one more
   * on its provider. The instance id derives from the task's, so a retried activity
   * deploys once. Shell tasks never get one: running commands is the operator's call.
   */
  const autoProvision = async (ref: TaskRef, task: TaskView, pinned: string | null): Promise<{ id: string } | null> => {
    const policy = (await readTeamPolicy(deps.commands, ref.tenant)).auto_provision;
    if (!policy || pinned !== null || task.kind === 'shell') return null;
    const live = (await instances.list({ tenant: ref.tenant, provider: policy.provider }, { limit: 1000 })).filter(
      (instance) => instance.status !== 'destroyed' && instance.status !== 'failed',
    );
    if (live.length >= policy.max_instances) return null;
    const instanceId = uuidv5(`auto-provision:${ref.taskId}`, autoProvisionNamespace);
    const request = {
      name: `auto-${instanceId.slice(0, 8)}`,
      provider: policy.provider,
      spec: { skills: task.required_skills.map((name) => ({ name, version: 'latest' })) },
    };
    await issue(() => deployInstance(deps.commands, contextOf(ref), request, instanceId));
    return { id: instanceId };
  };

  /**
   * Hands the task to the least loaded eligible instance (running, not unhealthy, with
   * the skills and a free slot); else records that it waits, for an instance being
   * provisioned if one suits (or deployed for it, when the team's policy allows).
   */
  const place = async (ref: TaskRef): Promise<Placement> => {
    const state = await stateOf(ref.taskId);
    if (state.status === 'none' || state.status === 'completed' || state.status === 'failed' || state.status === 'cancelled') {
      return { outcome: 'finished', revision: null };
    }
    if (state.status === 'queued' || state.status === 'running') return { outcome: 'queued', revision: null };
    const view = await tasks.get(ref.taskId);
    if (!view) return { outcome: 'waiting', revision: null };
    const candidates = (await instances.list({ tenant: ref.tenant }, { limit: 1000 })).filter((instance) =>
      suits(instance, view.kind, view.required_skills, state.pinnedInstanceId),
    );
    const taken = await slotsTaken(ref.tenant);
    let best: { instance: InstanceView; free: number } | null = null;
    for (const instance of candidates) {
      if (instance.status !== 'running' || instance.pending !== null || instance.health === 'unhealthy') continue;
      const free = instance.spec.max_concurrent_tasks - (taken.get(instance.id) ?? 0);
      if (free > 0 && (!best || free > best.free)) best = { instance, free };
    }
    if (best) {
      const ackDeadline = new Date(deps.commands.env.now().getTime() + deps.ackTimeoutMs).toISOString();
      return { outcome: 'queued', ...(await command(ref, { type: 'QueueTask', instanceId: best.instance.id, ackDeadline })) };
    }
    const coming = candidates.find((instance) => instance.status === 'provisioning') ?? (await autoProvision(ref, view, state.pinnedInstanceId));
    if (coming && state.status !== 'provisioning') {
      return { outcome: 'provisioning', ...(await command(ref, { type: 'StartProvisioning', instanceId: coming.id })) };
    }
    if (state.status === 'pending') {
      return { outcome: 'waiting', ...(await command(ref, { type: 'DeferTask', reason: 'no eligible instance has a free slot' })) };
    }
    return { outcome: state.status === 'provisioning' ? 'provisioning' : 'waiting', revision: null };
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
