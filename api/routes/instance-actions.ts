import type Router from '@koa/router';
import type { Context } from 'koa';
import type { CommandContext } from '../../commands/command-context.js';
import { toDomainEvent } from '../../commands/handle-command.js';
import { executeInstanceCommand } from '../../commands/instances.js';
import { instanceCommandRefusal, type InstanceEvent, type OperatorCommand } from '../../domain/instance/index.js';
import { NotFoundError } from '../../domain/shared/errors.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { idOfStream, instanceStream } from '../../events/streams.js';
import { principalOf } from '../auth.js';
import { commandContextOf } from '../command-context.js';
import { ApiError, toApiError } from '../errors.js';
import type { Appended, Replay } from '../idempotency.js';
import { resourceId } from '../ownership.js';
import { allow, type RouteKey } from '../permissions.js';
import { presentInstance } from '../presenters.js';
import { bulkInstanceActionBody, bulkInstanceActions, destroyInstanceBody, instanceActionBody } from '../schemas.js';
import type { BosunState } from '../state.js';
import { validator } from '../validation.js';
import { appendedBy, instanceViews, type InstanceRoutesDeps } from './instance-views.js';

type InstanceAction = (typeof bulkInstanceActions)[number];
type ActionOptions = { readonly backup_first?: boolean };
type BulkRequest = ActionOptions & { readonly action: InstanceAction; readonly instance_ids: string[] };

const validateOptions: Record<InstanceAction, (body: unknown) => ActionOptions> = {
  suspend: validator<ActionOptions>(instanceActionBody),
  resume: validator<ActionOptions>(instanceActionBody),
  restart: validator<ActionOptions>(instanceActionBody),
  destroy: validator<ActionOptions>(destroyInstanceBody),
  backup: validator<ActionOptions>(instanceActionBody),
};
const validateBulk = validator<BulkRequest>(bulkInstanceActionBody);

/** The domain command an action asks for; a backup is named here, so the answer can tell its id. */
const commandFor = (action: InstanceAction, options: ActionOptions, newId: () => string): Exclude<OperatorCommand, { type: 'ChangeSpec' }> => {
  switch (action) {
    case 'suspend':
      return { type: 'SuspendInstance' };
    case 'resume':
      return { type: 'ResumeInstance' };
    case 'restart':
      return { type: 'RestartInstance' };
    case 'destroy':
      return { type: 'DestroyInstance', backupFirst: options.backup_first ?? false };
    case 'backup':
      return { type: 'BackUpInstance', backupId: newId() };
  }
};

type BulkEntry = {
  readonly instance_id: string;
  readonly status: 202 | 404 | 409;
  readonly revision?: number;
  readonly position?: number;
  readonly backup_id?: string;
  readonly error?: { readonly type: string; readonly code: string; readonly message: string };
};

const accepted = (instanceId: string, appended: { revision: number; position: number }, backupId: string | null): BulkEntry => ({
  instance_id: instanceId,
  status: 202,
  revision: appended.revision,
  position: appended.position,
  ...(backupId ? { backup_id: backupId } : {}),
});

/** A missing (or another team's) instance and a refused transition are entries; anything else fails the request. */
const refused = (instanceId: string, error: unknown): BulkEntry => {
  const apiError = toApiError(error);
  if (apiError.status !== 404 && apiError.status !== 409) throw error;
  return { instance_id: instanceId, status: apiError.status, error: { type: apiError.type, code: apiError.code, message: apiError.message } };
};

/** Suspend, resume, restart, destroy and back up instances, one at a time or in bulk. */
export const instanceActionRoutes = (router: Router<BosunState>, deps: InstanceRoutesDeps): void => {
  const views = instanceViews(deps);
  const events = deps.commands.store;

  const answer = (ctx: Context, action: InstanceAction, body: ReturnType<typeof presentInstance>, backupId: string | null) => {
    ctx.status = 202;
    ctx.body = action === 'backup' ? { backup_id: backupId, instance: body } : body;
  };

  for (const action of bulkInstanceActions) {
    const replay: Replay = async (ctx, record) => {
      const view = await views.asOf(idOfStream(record.stream), record.revision);
      // The keyed request's event is the last one of the view: for a backup, its newest backup.
      answer(ctx, action, presentInstance(view), view.backups.at(-1)?.backup_id ?? null);
    };

    router.post(`/instances/:id/${action}`, allow(`POST /api/v1/instances/:id/${action}` as RouteKey), deps.idempotent(replay), async (ctx) => {
      const command = commandFor(action, validateOptions[action](ctx.request.body), deps.commands.env.newId);
      const instanceId = resourceId(ctx);
      const view = await views.after(instanceId, await executeInstanceCommand(deps.commands, commandContextOf(ctx), instanceId, command));
      ctx.state.appended = appendedBy(view);
      answer(ctx, action, presentInstance(view), command.type === 'BackUpInstance' ? command.backupId : null);
    });
  }

  const applyToOne = async (request: BulkRequest, instanceId: string, commandCtx: CommandContext): Promise<{ entry: BulkEntry; appended: Appended | null }> => {
    const command = commandFor(request.action, request, deps.commands.env.newId);
    try {
      const result = await executeInstanceCommand(deps.commands, commandCtx, instanceId, command);
      return {
        entry: accepted(instanceId, result, command.type === 'BackUpInstance' ? command.backupId : null),
        appended: {
          stream: instanceStream(instanceId),
          revision: result.revision,
          position: result.position,
          occurredAt: result.occurredAt ?? deps.commands.env.now().toISOString(),
        },
      };
    } catch (error) {
      return { entry: refused(instanceId, error), appended: null };
    }
  };

  /**
   * Rebuilds the first answer from the instances' streams: an instance the keyed request
   * changed carries its key in the event's metadata; for one it refused, the domain tells
   * why the command is refused in the state the instance was in then.
   */
  const replayBulk: Replay = async (ctx, record) => {
    const { tenant, keyId } = principalOf(ctx);
    const request = validateBulk(ctx.request.body);
    const byThisRequest = (event: RecordedEvent) =>
      event.metadata.actor.id === keyId &&
      event.metadata.idempotency?.key === ctx.get('Idempotency-Key') &&
      event.metadata.idempotency.request_hash === record.request_hash;
    const results = await Promise.all(
      request.instance_ids.map(async (instanceId): Promise<BulkEntry> => {
        const history = await events.readStream(instanceStream(instanceId));
        if (history[0]?.tenant !== tenant) return refused(instanceId, new NotFoundError('instance'));
        // The last event, as the first answer told: a destroy with a backup first appends two.
        const applied = history.filter(byThisRequest).at(-1);
        if (applied) {
          const event = toDomainEvent<InstanceEvent>(applied);
          return accepted(instanceId, applied, request.action === 'backup' && event.type === 'instance.backup_requested' ? event.data.backup_id : null);
        }
        const then = history.filter((event) => event.position <= record.position).map((event) => toDomainEvent<InstanceEvent>(event));
        const refusal = instanceCommandRefusal(commandFor(request.action, request, deps.commands.env.newId), then);
        if (refusal) return refused(instanceId, refusal);
        return refused(
          instanceId,
          new ApiError('conflict_error', 'not_applied', `the first request with this Idempotency-Key did not ${request.action} this instance`),
        );
      }),
    );
    ctx.status = 200;
    ctx.body = { object: 'bulk_result', results };
  };

  router.post('/instances/bulk', allow('POST /api/v1/instances/bulk'), deps.idempotent(replayBulk), async (ctx) => {
    const request = validateBulk(ctx.request.body);
    if (request.backup_first !== undefined && request.action !== 'destroy') {
      throw new ApiError('invalid_request_error', 'invalid_field', 'backup_first applies only to the destroy action', { param: 'backup_first' });
    }
    const commandCtx = commandContextOf(ctx);
    // Each instance is independent: one refused does not stop the others.
    const outcomes = await Promise.all(request.instance_ids.map((instanceId) => applyToOne(request, instanceId, commandCtx)));
    // The middleware keeps one write per key, the last; a replay reads every instance's stream anyway.
    const last = outcomes.reduce<Appended | null>(
      (latest, { appended }) => (appended && (!latest || appended.position > latest.position) ? appended : latest),
      null,
    );
    if (last) ctx.state.appended = last;
    ctx.status = 200;
    ctx.body = { object: 'bulk_result', results: outcomes.map(({ entry }) => entry) };
  });
};
