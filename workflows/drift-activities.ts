/**
 * Activities of the drift workflow: plan, approve by policy, run the plan as a `config.apply`
 * task on the instance, and record a remediation that did not take. Each reads the drift
 * stream first and acts only on the drift it was asked about, so a retry or a late call
 * changes nothing.
 */
import { v5 as uuidv5 } from 'uuid';
import { executeDriftCommand } from '../commands/drift.js';
import { toDomainEvent, type CommandHandlerDeps } from '../commands/handle-command.js';
import { submitTask } from '../commands/tasks.js';
import { readTeamPolicy } from '../commands/team-policy.js';
import {
  agentCanApply,
  autoApproves,
  driftDecider,
  isSecretSetting,
  remediationPlan,
  type DriftCommand,
  type DriftEvent,
  type RemediationAction,
} from '../domain/drift/index.js';
import { replayInstance, type InstanceEvent } from '../domain/instance/index.js';
import { replay } from '../domain/shared/decider.js';
import { driftStream, instanceStream } from '../events/streams.js';
import { issue, workflowContext } from './activity-context.js';
import type { Written } from './signals.js';

export type DriftActivityDeps = {
  readonly commands: CommandHandlerDeps;
  /** Seconds between an agent's heartbeats: verification waits for a few of them. */
  readonly heartbeatSeconds: number;
};

export type DriftRef = { readonly instanceId: string; readonly tenant: string; readonly correlationId: string; readonly driftId: string };

/** What the agent is told to do; `set_setting` carries the value unless it is secret (the agent asks for those itself). */
export type AgentAction = RemediationAction | { readonly action: 'set_setting'; readonly name: string; readonly value: unknown };

/** Namespace of remediation task ids: one drift's one plan is one task, however often the activity runs. */
const remediationTaskNamespace = 'c1f4b0a2-8d3e-4f5a-9b6c-7e2d1a0f3c48';

/** A `config.apply` that has not ended by then failed (it waits for a free slot on the instance too). */
const remediationTimeoutSeconds = 300;

/** Snapshots after a remediation have this long to match: three heartbeats, and never under 10 s of pipeline latency. */
const verificationWindowMs = (heartbeatSeconds: number): number => Math.max(3 * heartbeatSeconds * 1000, 10_000);

export const createDriftActivities = (deps: DriftActivityDeps) => {
  const contextOf = (ref: DriftRef) => workflowContext(ref.tenant, driftStream(ref.instanceId), ref.correlationId);
  const command = (ref: DriftRef, body: DriftCommand) => issue(() => executeDriftCommand(deps.commands, contextOf(ref), ref.instanceId, body));

  const loadDrift = async (ref: DriftRef) => {
    const history = await deps.commands.store.readStream(driftStream(ref.instanceId));
    const { drift } = replay(
      driftDecider,
      history.map((event) => toDomainEvent<DriftEvent>(event)),
    );
    return { history, drift: drift?.driftId === ref.driftId ? drift : null };
  };

  /** The plan as the agent runs it, with today's desired values of the settings it names. */
  const agentActions = async (instanceId: string, plan: readonly RemediationAction[]): Promise<AgentAction[]> => {
    const history = await deps.commands.store.readStream(instanceStream(instanceId));
    const instance = replayInstance(history.map((event) => toDomainEvent<InstanceEvent>(event)));
    const settings = instance.status === 'none' ? {} : instance.spec.settings;
    return plan.map((action) =>
      action.action === 'set_setting' && !isSecretSetting(action.name) && action.name in settings ? { ...action, value: settings[action.name] } : action,
    );
  };

  return {
    /** Proposes the plan for the drift's items and, when the team's policy allows, approves it. */
    async proposeRemediation(ref: DriftRef): Promise<Written> {
      const { drift } = await loadDrift(ref);
      if (drift?.status !== 'open') return { revision: null };
      // A plan already there is this activity's own from an earlier try: it is approved, not replaced.
      const plan = drift.plan ?? remediationPlan(drift.items);
      const proposed = await command(ref, { type: 'ProposeRemediation', driftId: ref.driftId, plan });
      const policy = await readTeamPolicy(deps.commands, ref.tenant);
      if (!agentCanApply(plan) || !autoApproves(policy.drift_auto_approve_max_severity, drift.severity)) return proposed;
      const approved = await command(ref, { type: 'ApproveRemediation', driftId: ref.driftId, automatic: true });
      return approved.revision === null ? proposed : approved;
    },

    /** Marks the drift remediating, then submits the approved plan as a `config.apply` task pinned to the instance. */
    async startRemediation(ref: DriftRef): Promise<Written & { readonly verifyWithinMs: number }> {
      const verifyWithinMs = verificationWindowMs(deps.heartbeatSeconds);
      const { history, drift } = await loadDrift(ref);
      const proposedAt = history.filter((event) => event.type === 'drift.remediation_proposed').at(-1)?.revision;
      if (!drift?.plan || proposedAt === undefined) return { revision: null, verifyWithinMs };
      const taskId = uuidv5(`${ref.instanceId}\n${ref.driftId}\n${proposedAt}`, remediationTaskNamespace);
      const started = await command(ref, { type: 'StartRemediation', driftId: ref.driftId, taskId });
      // Started now, or by an earlier try that did not get to submit: either way the task is submitted, once by its id.
      if (started.revision === null && !(drift.status === 'remediating' && drift.taskId === taskId)) return { revision: null, verifyWithinMs };
      const actions = await agentActions(ref.instanceId, drift.plan);
      await issue(() =>
        submitTask(
          deps.commands,
          contextOf(ref),
          { kind: 'config.apply', input: { remediation_id: ref.driftId, actions }, instance_id: ref.instanceId, timeout_seconds: remediationTimeoutSeconds },
          taskId,
        ),
      );
      return { ...started, verifyWithinMs };
    },

    async failRemediation(ref: DriftRef & { readonly taskId: string; readonly reason: string }): Promise<Written> {
      return command(ref, { type: 'FailRemediation', driftId: ref.driftId, taskId: ref.taskId, reason: ref.reason });
    },
  };
};

export type DriftActivities = ReturnType<typeof createDriftActivities>;
