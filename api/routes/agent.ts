/**
 * The agent runtime API (docs/agent-api.md): what agents on instances call. Agents
 * authenticate with their instance credential and act only on their own instance's tasks.
 */
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { CommandHandlerDeps, CommandResult } from '../../commands/handle-command.js';
import { executeInstanceCommand } from '../../commands/instances.js';
import { generateSecret, hashSecret } from '../../commands/secrets.js';
import { executeTaskCommand } from '../../commands/tasks.js';
import { DomainError } from '../../domain/shared/errors.js';
import type { TaskCommand } from '../../domain/task/commands.js';
import { terminalStatuses, type TaskError, type TaskLogLine } from '../../domain/task/events.js';
import { taskStream } from '../../events/streams.js';
import { buildInfo } from '../../infra/build-info.js';
import type { AgentHeartbeats, HeartbeatReport } from '../../processes/agent-heartbeats.js';
import type { DriftDetection } from '../../processes/drift-detection.js';
import { findAgentCredential } from '../../projections/agents/agent-credentials.js';
import type { TaskDispatch } from '../../projections/agents/task-dispatch.js';
import type { ReadStore } from '../../projections/read-store.js';
import { taskCollection } from '../../projections/tasks/task-projector.js';
import { evolveTaskView, type TaskView } from '../../projections/tasks/task-view.js';
import { agentCommandContext, agentOf, authenticateAgent, type AgentPrincipal } from '../agent-auth.js';
import { completeBody, failBody, heartbeatBody, progressBody, registerBody, type RawSnapshot } from '../agent-schemas.js';
import { ApiError, notFound } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { jsonBody } from '../json-body.js';
import { resourceId } from '../ownership.js';
import { allow } from '../permissions.js';
import { asOf, foldWith } from '../resource-views.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';
import { agentSettingRoutes } from './agent-settings.js';

export type AgentRoutesDeps = {
  readonly commands: CommandHandlerDeps;
  readonly readStore: ReadStore;
  readonly idempotent: (replay: Replay) => Middleware;
  readonly heartbeats: AgentHeartbeats;
  /** Compares each heartbeat's configuration snapshot with the desired spec. */
  readonly drift: DriftDetection;
  readonly dispatch: TaskDispatch;
  /** Longest claim long poll. @defaultValue 30 */
  readonly maxClaimWaitSeconds?: number;
};

const maxBodyBytes = 1024 * 1024;
const claimWaitSeconds = 20;
/** A claimed task is not handed to a second claim of the same agent for this long. */
const claimLeaseMs = 5000;

const validateRegister = validator<{ registration_token: string; agent_version?: string; hostname?: string }>(registerBody);
const validateHeartbeat = validator<{ metrics?: Record<string, number>; configuration: RawSnapshot; running_task_ids?: string[] }>(heartbeatBody);
const validateProgress = validator<{ percent?: number; message?: string; logs?: TaskLogLine[] }>(progressBody);
const validateComplete = validator<{ outputs: Record<string, unknown> }>(completeBody);
const validateFail = validator<{ error: TaskError; retryable?: boolean }>(failBody);

const snapshotOf = (raw: RawSnapshot): HeartbeatReport['configuration'] => ({
  provider: raw.provider,
  runtime_version: raw.runtime_version ?? null,
  skills: raw.skills.map((s) => ({ name: s.name, version: s.version, enabled: s.enabled ?? true, ...(s.parameters ? { parameters: s.parameters } : {}) })),
  settings: raw.settings,
  resources: {
    cpus: raw.resources?.cpus ?? null,
    memory_mb: raw.resources?.memory_mb ?? null,
    open_ports: raw.resources?.open_ports ?? [],
    region: raw.resources?.region ?? null,
  },
});

/** What an agent sees of a task it is to run. */
const presentAgentTask = (task: TaskView, ackDeadline: string | null) => ({
  id: task.id,
  kind: task.kind,
  input: task.input,
  timeout_seconds: task.timeout_seconds,
  attempt: task.attempts + 1,
  ack_deadline: ackDeadline,
});

export const agentRoutes = (deps: AgentRoutesDeps): Router => {
  const router = new Router<BosunState>({ prefix: '/api/v1/agent' });
  router.use(jsonBody(maxBodyBytes));
  const tasks = taskCollection(deps.readStore);
  /** Tasks handed out by a claim and not yet acknowledged, per instance: task id -> until when. */
  const leases = new Map<string, Map<string, number>>();
  const maxWait = deps.maxClaimWaitSeconds ?? 30;

  /** The agent's own task; any other (another instance's, another team's) is not found. */
  const ownTask = async (agent: AgentPrincipal, taskId: string): Promise<TaskView> => {
    const task = await tasks.get(taskId);
    if (!task || task.tenant !== agent.tenant || task.instance_id !== agent.instanceId) throw notFound('task', taskId);
    return task;
  };

  const onOwnTask = async (ctx: Context, command: Exclude<TaskCommand, { type: 'SubmitTask' }>) => {
    const agent = agentOf(ctx);
    const taskId = resourceId(ctx);
    await ownTask(agent, taskId);
    return executeTaskCommand(deps.commands, agentCommandContext(ctx, agent), taskId, command);
  };

  /**
   * Runs the agent no longer reports (it restarted, or lost them) failed as retryable, so
   * their retry policy decides. Only runs started two intervals ago count: a heartbeat
   * composed just before an acknowledgement does not list that task yet.
   */
  const failLostRuns = async (ctx: Context, agent: AgentPrincipal, reported: ReadonlySet<string>) => {
    const startedBefore = Date.now() - 2 * deps.heartbeats.options.intervalSeconds * 1000;
    const running = await tasks.list({ tenant: agent.tenant, instance_id: agent.instanceId, status: 'running' }, { limit: 1000 });
    for (const task of running) {
      if (reported.has(task.id) || task.started_at === null || Date.parse(task.started_at) >= startedBefore) continue;
      await executeTaskCommand(deps.commands, agentCommandContext(ctx, agent), task.id, {
        type: 'FailTask',
        error: { code: 'run_lost', message: 'the agent no longer runs this task (it restarted or lost it)' },
        retryable: true,
      }).catch((error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
      });
    }
  };

  const answered =
    (body: object): Replay =>
    async (ctx) => {
      ctx.body = body;
    };

  router.post('/register', allow('POST /api/v1/agent/register'), async (ctx) => {
    const request = validateRegister(ctx.request.body);
    const tokenHash = hashSecret(request.registration_token);
    const registration = await findAgentCredential(deps.readStore, tokenHash, 'registration');
    const refused = new ApiError('authentication_error', 'invalid_registration_token', 'the registration token is not valid or was already used');
    if (!registration) throw refused;
    const credential = generateSecret('bsi');
    const agent: AgentPrincipal = { instanceId: registration.instance_id, tenant: registration.tenant };
    try {
      await executeInstanceCommand(deps.commands, agentCommandContext(ctx, agent), agent.instanceId, {
        type: 'RegisterAgent',
        tokenHash,
        credentialHash: hashSecret(credential),
        agentVersion: request.agent_version ?? 'unknown',
        hostname: request.hostname ?? null,
      });
    } catch (error) {
      // A spent token, or an instance no longer provisioning: the same answer, no detail for a guesser.
      if (error instanceof DomainError) throw refused;
      throw error;
    }
    ctx.status = 201;
    ctx.body = {
      object: 'agent_registration',
      instance_id: agent.instanceId,
      credential,
      heartbeat_interval_seconds: deps.heartbeats.options.intervalSeconds,
      claim_wait_seconds: claimWaitSeconds,
      server_version: buildInfo().version,
    };
  });

  router.use(authenticateAgent(deps.readStore));
  // A task an agent names must be its team's, else it is not found. Whether it is handed to
  // the agent's instance is asked by each route, after a keyed report's replay: a task the
  // report itself moved on (a failure frees it) still answers the replay.
  router.param('id', async (id, ctx, next) => {
    if ((await tasks.get(id))?.tenant !== agentOf(ctx).tenant) throw notFound('task', id);
    ctx.state.id = id;
    return next();
  });
  agentSettingRoutes(router, deps);

  router.post('/heartbeat', allow('POST /api/v1/agent/heartbeat'), async (ctx) => {
    const agent = agentOf(ctx);
    const request = validateHeartbeat(ctx.request.body);
    const report: HeartbeatReport = {
      metrics: request.metrics ?? {},
      configuration: snapshotOf(request.configuration),
      running_task_ids: request.running_task_ids ?? [],
    };
    await deps.heartbeats.record(agent.instanceId, agent.tenant, report, agentCommandContext(ctx, agent));
    await deps.drift.check(agent.instanceId, report.configuration, agentCommandContext(ctx, agent));
    const cancelled: string[] = [];
    for (const taskId of report.running_task_ids) {
      const task = await tasks.get(taskId);
      // Finished without the agent (cancelled, timed out) or moved elsewhere: it must stop.
      if (!task || task.tenant !== agent.tenant || terminalStatuses.includes(task.status) || task.instance_id !== agent.instanceId) cancelled.push(taskId);
    }
    if (request.running_task_ids) await failLostRuns(ctx, agent, new Set(request.running_task_ids));
    ctx.body = { object: 'heartbeat_ack', cancel_task_ids: cancelled, heartbeat_interval_seconds: deps.heartbeats.options.intervalSeconds };
  });

  router.post('/tasks/claim', allow('POST /api/v1/agent/tasks/claim'), async (ctx) => {
    const agent = agentOf(ctx);
    const raw = ctx.query.wait_seconds;
    const wait = raw === undefined ? claimWaitSeconds : Number(raw);
    if (!Number.isInteger(wait) || wait < 0 || wait > maxWait) {
      throw new ApiError('invalid_request_error', 'invalid_field', `wait_seconds must be a whole number from 0 to ${maxWait}`, { param: 'wait_seconds' });
    }
    const abort = new AbortController();
    ctx.req.once('close', () => abort.abort());
    const until = Date.now() + wait * 1000;
    for (;;) {
      const own = leases.get(agent.instanceId) ?? new Map<string, number>();
      leases.set(agent.instanceId, own);
      const now = Date.now();
      for (const [taskId, expires] of own) if (expires <= now) own.delete(taskId);
      const queued = await tasks.list({ tenant: agent.tenant, status: 'queued', instance_id: agent.instanceId }, { limit: 100 });
      // Oldest first: list answers newest first.
      const next = queued.reverse().find((task) => !own.has(task.id));
      if (next) {
        own.set(next.id, now + claimLeaseMs);
        ctx.body = { object: 'agent_task', task: presentAgentTask(next, next.ack_deadline) };
        return;
      }
      const left = until - Date.now();
      if (left <= 0 || abort.signal.aborted || deps.dispatch.closed) break;
      await deps.dispatch.waitForQueued(agent.instanceId, left, abort.signal);
    }
    ctx.status = 204;
  });

  router.post('/tasks/:id/ack', allow('POST /api/v1/agent/tasks/:id/ack'), async (ctx) => {
    const agent = agentOf(ctx);
    const taskId = resourceId(ctx);
    await ownTask(agent, taskId);
    try {
      await executeTaskCommand(deps.commands, agentCommandContext(ctx, agent), taskId, { type: 'StartTask', instanceId: agent.instanceId });
    } catch (error) {
      // A retried acknowledgement whose first answer was lost: the task already runs here.
      const now = await ownTask(agent, taskId);
      if (!(error instanceof DomainError) || now.status !== 'running') throw error;
    } finally {
      leases.get(agent.instanceId)?.delete(taskId);
    }
    const task = await ownTask(agent, taskId);
    ctx.body = { object: 'agent_task', task: presentAgentTask(task, null) };
  });

  router.post('/tasks/:id/progress', allow('POST /api/v1/agent/tasks/:id/progress'), deps.idempotent(answered({ cancel_requested: false })), async (ctx) => {
    const request = validateProgress(ctx.request.body ?? {});
    const agent = agentOf(ctx);
    const task = await ownTask(agent, resourceId(ctx));
    // A task that ended without its agent answers "stop" rather than an error: that is the news.
    if (terminalStatuses.includes(task.status)) {
      ctx.body = { cancel_requested: true };
      return;
    }
    if (request.logs?.length) await onOwnTask(ctx, { type: 'AppendTaskLog', lines: request.logs });
    if (request.percent !== undefined || request.message !== undefined) {
      await onOwnTask(ctx, { type: 'ReportProgress', percent: request.percent ?? null, message: request.message ?? null });
    }
    ctx.body = { cancel_requested: false };
  });

  router.post(
    '/tasks/:id/complete',
    allow('POST /api/v1/agent/tasks/:id/complete'),
    deps.idempotent(answered({ object: 'agent_task_result', status: 'completed' })),
    async (ctx) => {
      const request = validateComplete(ctx.request.body);
      const result = await onOwnTask(ctx, { type: 'CompleteTask', outputs: request.outputs });
      ctx.body = { object: 'agent_task_result', status: 'completed' };
      ctx.state.appended = appendedOf(ctx, result);
    },
  );

  const failed = (status: string) => ({ object: 'agent_task_result', status, will_retry: status === 'waiting' });
  // A replay answers as the first did: the status the failure left, read from the stream at that revision.
  const replayFailure: Replay = async (ctx, record) => {
    const view = await asOf(deps.commands.store, record.stream, record.revision, foldWith(evolveTaskView), { resource: 'task', id: resourceId(ctx) });
    ctx.body = failed(view.status);
  };
  router.post('/tasks/:id/fail', allow('POST /api/v1/agent/tasks/:id/fail'), deps.idempotent(replayFailure), async (ctx) => {
    const request = validateFail(ctx.request.body);
    const result = await onOwnTask(ctx, { type: 'FailTask', error: request.error, retryable: request.retryable ?? true });
    ctx.body = failed(result.state.status === 'none' ? 'failed' : result.state.status);
    ctx.state.appended = appendedOf(ctx, result);
  });

  return router;
};

/** What the idempotency middleware remembers of a keyed write. */
const appendedOf = (ctx: Context, result: CommandResult<unknown>): Appended => ({
  stream: taskStream(resourceId(ctx)),
  revision: result.revision,
  position: result.position,
  occurredAt: result.stream?.at(-1)?.metadata.occurred_at ?? new Date(0).toISOString(),
});
