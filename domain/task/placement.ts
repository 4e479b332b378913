import type { Health, InstanceSpec, InstanceStatus, PendingAction } from '../instance/index.js';
import type { AutoProvision } from '../team/index.js';
import type { TaskStatus } from './events.js';

/** What placement needs to know of a task it places. */
export type TaskNeeds = {
  readonly status: TaskStatus;
  readonly kind: string;
  readonly requiredSkills: readonly string[];
  /** The instance the task may run on only, if the client pinned one. */
  readonly pinnedInstanceId: string | null;
};

/** One of the tenant's instances, with the slots its queued and running tasks take. */
export type PlacementCandidate = {
  readonly id: string;
  readonly status: InstanceStatus;
  readonly pending: PendingAction;
  readonly health: Health;
  readonly spec: Pick<InstanceSpec, 'skills' | 'settings' | 'max_concurrent_tasks'>;
  readonly slotsTaken: number;
};

/** The team's auto-provisioning policy, and what deploying for this task would mean. */
export type AutoProvisioning = {
  readonly policy: AutoProvision | null;
  /** The team's instances on the policy's provider that are neither destroyed nor failed. */
  readonly liveInstances: number;
  /** The id an instance deployed for this task gets: derived from the task's, so a retried placement deploys once. */
  readonly instanceId: string;
};

export type InstanceToDeploy = { readonly instanceId: string; readonly provider: string; readonly skills: readonly string[] };

export type PlacementDecision =
  | { readonly decision: 'queue'; readonly instanceId: string }
  /** The task waits for this instance, being provisioned or (with `deploy`) deployed for it now. */
  | { readonly decision: 'start_provisioning'; readonly instanceId: string; readonly deploy: InstanceToDeploy | null }
  | { readonly decision: 'defer'; readonly reason: string }
  /**
   * Nothing to record: the task waits already, or waits for an instance being provisioned.
   * When no instance suiting it is being provisioned any more, one may be deployed for it.
   */
  | { readonly decision: 'keep_waiting'; readonly deploy: InstanceToDeploy | null };

/**
 * What placing a task comes to before looking at the fleet: a finished task is not placed,
 * a queued or running one is placed already; null for the rest.
 */
export const placementSettled = (status: TaskStatus): 'finished' | 'queued' | null => {
  if (status === 'completed' || status === 'failed' || status === 'cancelled') return 'finished';
  if (status === 'queued' || status === 'running') return 'queued';
  return null;
};

const enabledSkills = (candidate: PlacementCandidate): Set<string> =>
  new Set(candidate.spec.skills.filter((skill) => skill.enabled !== false).map((skill) => skill.name));

/** Can the instance run the task, leaving its state and load aside? Shell tasks need an instance that allows shell. */
const suits = (task: TaskNeeds, candidate: PlacementCandidate): boolean => {
  if (task.pinnedInstanceId !== null && candidate.id !== task.pinnedInstanceId) return false;
  if (task.kind === 'shell' && candidate.spec.settings.allow_shell !== true) return false;
  const has = enabledSkills(candidate);
  return task.requiredSkills.every((skill) => has.has(skill));
};

/** Only a running instance, with no suspend or resume under way and not unhealthy, takes tasks. */
const takesTasks = (candidate: PlacementCandidate): boolean => candidate.status === 'running' && candidate.pending === null && candidate.health !== 'unhealthy';

/** The suiting instance with the most free slots; the first listed among equals. */
const leastLoaded = (task: TaskNeeds, candidates: readonly PlacementCandidate[]): PlacementCandidate | null => {
  let best: { candidate: PlacementCandidate; free: number } | null = null;
  for (const candidate of candidates) {
    if (!suits(task, candidate) || !takesTasks(candidate)) continue;
    const free = candidate.spec.max_concurrent_tasks - candidate.slotsTaken;
    if (free > 0 && (!best || free > best.free)) best = { candidate, free };
  }
  return best?.candidate ?? null;
};

const beingProvisioned = (task: TaskNeeds, candidates: readonly PlacementCandidate[]): PlacementCandidate | null =>
  candidates.find((candidate) => suits(task, candidate) && candidate.status === 'provisioning') ?? null;

/**
 * Whether the decision depends on the team's auto-provisioning: no instance can take the
 * task now and none suiting it is being provisioned. Reading the policy is left until then.
 */
export const needsAutoProvisioning = (task: TaskNeeds, candidates: readonly PlacementCandidate[]): boolean =>
  leastLoaded(task, candidates) === null && beingProvisioned(task, candidates) === null;

/**
 * An instance is deployed for a task nobody can take when the policy allows one more on its
 * provider. Never for a pinned task (it may run nowhere else) nor a shell one (running
 * commands is the operator's call).
 */
const toDeploy = (task: TaskNeeds, autoProvisioning: AutoProvisioning | null): InstanceToDeploy | null => {
  const policy = autoProvisioning?.policy;
  if (!autoProvisioning || !policy || task.pinnedInstanceId !== null || task.kind === 'shell') return null;
  if (autoProvisioning.liveInstances >= policy.max_instances) return null;
  return { instanceId: autoProvisioning.instanceId, provider: policy.provider, skills: task.requiredSkills };
};

/**
 * Where a pending, waiting or provisioning task goes: to the least loaded instance that
 * suits it and has a free slot; else it waits for an instance being provisioned that suits
 * it, or deployed for it; else it is deferred (once: a waiting task stays so).
 * `autoProvisioning` is consulted only when `needsAutoProvisioning`; null otherwise will do.
 */
export const decidePlacement = (task: TaskNeeds, candidates: readonly PlacementCandidate[], autoProvisioning: AutoProvisioning | null): PlacementDecision => {
  const best = leastLoaded(task, candidates);
  if (best) return { decision: 'queue', instanceId: best.id };
  const coming = beingProvisioned(task, candidates);
  const deploy = coming ? null : toDeploy(task, autoProvisioning);
  const comingId = coming?.id ?? deploy?.instanceId;
  if (comingId !== undefined && task.status !== 'provisioning') return { decision: 'start_provisioning', instanceId: comingId, deploy };
  if (task.status === 'pending') return { decision: 'defer', reason: 'no eligible instance has a free slot' };
  return { decision: 'keep_waiting', deploy };
};
