import { randomBytes } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import { NotFoundError } from '../domain/shared/errors.js';
import {
  deliveryDecider,
  webhookDecider,
  type DeliveredEventRef,
  type DeliveryTarget,
  type SealedSecret,
  type WebhookCommand,
  type WebhookEvent,
  type WebhookState,
} from '../domain/webhook/index.js';
import type { RecordedEvent } from '../events/event-store.js';
import { deliveryStream, webhookStream } from '../events/streams.js';
import type { CommandContext } from './command-context.js';
import { handleCommand, toDomainEvent, type CommandHandlerDeps } from './handle-command.js';
import { readTeamPolicy } from './team-policy.js';
import { validateTargetUrl } from './webhook-targets.js';

/** Sealed under the team's settings key as if a setting of this name (a name that reads as secret). */
const SECRET_NAME = 'webhook_signing_secret';

/** `whsec_` and 24 random bytes in base64, as Standard Webhooks libraries take it. */
const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

const seal = async (deps: CommandHandlerDeps, tenant: string, secret: string): Promise<SealedSecret> => {
  const sealer = await deps.secrets.sealerFor(tenant);
  return sealer({ [SECRET_NAME]: secret })[SECRET_NAME] as SealedSecret;
};

const open = async (deps: CommandHandlerDeps, tenant: string, sealed: SealedSecret): Promise<string> =>
  String(await deps.secrets.open(tenant, SECRET_NAME, sealed));

export type NewWebhook = { readonly url: string; readonly eventTypes: readonly string[]; readonly description: string; readonly enabled: boolean };

const allowsPrivateTargets = async (deps: CommandHandlerDeps, tenant: string): Promise<boolean> =>
  (await readTeamPolicy(deps, tenant)).allow_private_webhook_targets ?? false;

/** Validates the URL against the team's policy; the secret is in the answer only, sealed in the event. */
export const createWebhook = async (deps: CommandHandlerDeps, ctx: CommandContext, request: NewWebhook) => {
  const url = await validateTargetUrl(request.url, await allowsPrivateTargets(deps, ctx.tenant), 'url');
  const webhookId = deps.env.newId();
  const secret = newSecret();
  const result = await handleCommand(
    deps,
    webhookDecider,
    webhookStream(webhookId),
    {
      type: 'CreateWebhook',
      webhookId,
      url,
      eventTypes: request.eventTypes,
      description: request.description,
      enabled: request.enabled,
      secret: await seal(deps, ctx.tenant, secret),
    },
    ctx,
    { newStream: true },
  );
  return { ...result, webhookId, secret };
};

/** Updating, enabling, disabling and deleting go through here; a new URL is checked as at creation. */
export const executeWebhookCommand = async (
  deps: CommandHandlerDeps,
  ctx: CommandContext,
  webhookId: string,
  command: Exclude<WebhookCommand, { type: 'CreateWebhook' | 'RotateWebhookSecret' }>,
) => {
  const checked =
    command.type === 'UpdateWebhook' && command.url !== undefined
      ? { ...command, url: await validateTargetUrl(command.url, await allowsPrivateTargets(deps, ctx.tenant), 'url') }
      : command;
  return handleCommand(deps, webhookDecider, webhookStream(webhookId), checked, ctx);
};

/** A new secret, shown once; the previous one keeps signing (beside it) for `overlapSeconds`. */
export const rotateWebhookSecret = async (deps: CommandHandlerDeps, ctx: CommandContext, webhookId: string, overlapSeconds: number) => {
  const secret = newSecret();
  const previousValidUntil = new Date(deps.env.now().getTime() + overlapSeconds * 1000).toISOString();
  const result = await handleCommand(
    deps,
    webhookDecider,
    webhookStream(webhookId),
    { type: 'RotateWebhookSecret', secret: await seal(deps, ctx.tenant, secret), previousValidUntil },
    ctx,
  );
  return { ...result, secret, previousValidUntil };
};

export const readWebhook = async (deps: CommandHandlerDeps, tenant: string, webhookId: string): Promise<WebhookState> => {
  const history = await deps.store.readStream(webhookStream(webhookId));
  if (history.length > 0 && history[0]?.tenant !== tenant) throw new NotFoundError('webhook');
  return history.reduce((state, event) => webhookDecider.evolve(state, toDomainEvent<WebhookEvent>(event)), webhookDecider.initialState());
};

/** The secrets that sign a delivery at `now`: the current one, and the previous one during a rotation's overlap. */
export const signingSecrets = async (deps: CommandHandlerDeps, tenant: string, state: WebhookState, now: Date): Promise<string[]> => {
  const secrets = state.secret ? [await open(deps, tenant, state.secret)] : [];
  if (state.previousSecret && state.previousValidUntil && Date.parse(state.previousValidUntil) > now.getTime())
    secrets.push(await open(deps, tenant, state.previousSecret));
  return secrets;
};

/** Namespace of delivery ids: one delivery per target and event, whoever requests it and however often. */
const deliveryNamespace = '3b0f8f3e-6c55-4f0e-a7f4-9a63d1f0c2b1';

const targetKey = (target: DeliveryTarget): string => (target.kind === 'webhook' ? `webhook ${target.webhook_id}` : `callback ${target.url}`);

/** The delivery of `event` to `target`: its id, and so its workflow's, follows from the two. */
export const deliveryIdOf = (target: DeliveryTarget, eventId: string): string => uuidv5(`${targetKey(target)}\n${eventId}`, deliveryNamespace);

const refOf = (event: RecordedEvent): DeliveredEventRef => ({ id: event.id, type: event.type, stream: event.stream, revision: event.revision });

const requestDelivery = (deps: CommandHandlerDeps, ctx: CommandContext, target: DeliveryTarget, event: RecordedEvent) => {
  const deliveryId = deliveryIdOf(target, event.id);
  return handleCommand(
    deps,
    deliveryDecider,
    deliveryStream(deliveryId),
    { type: 'RequestDelivery', deliveryId, messageId: `msg_${deliveryId}`, target, event: refOf(event), redeliveryOf: null },
    ctx,
  ).then((result) => ({ ...result, deliveryId }));
};

const enqueueActor = { type: 'system', id: 'webhooks' } as const;

/**
 * The seam for other parts (alert notifications): delivers `event` (one from the log) to
 * the team's webhook `webhookId`, signed and retried like every delivery. Requesting the
 * same event for the same webhook again records nothing.
 */
export const enqueueDelivery = (deps: CommandHandlerDeps, tenant: string, webhookId: string, event: RecordedEvent) =>
  requestDelivery(deps, { ...internalContextFor(tenant, event) }, { kind: 'webhook', webhook_id: webhookId }, event);

/** Sends a task's terminal event to the callback URL it was submitted with. */
export const enqueueTaskCallback = (deps: CommandHandlerDeps, tenant: string, url: string, event: RecordedEvent) =>
  requestDelivery(deps, internalContextFor(tenant, event), { kind: 'task_callback', url }, event);

const internalContextFor = (tenant: string, cause: RecordedEvent): CommandContext => ({
  tenant,
  actor: enqueueActor,
  requestId: null,
  correlationId: cause.metadata.correlation_id,
  causationId: cause.id,
  clientIp: null,
  userAgent: null,
});

/** A ping: a delivery of no event, to check the receiver and its signature check. */
export const pingWebhook = (deps: CommandHandlerDeps, ctx: CommandContext, webhookId: string) => {
  const deliveryId = deps.env.newId();
  return handleCommand(
    deps,
    deliveryDecider,
    deliveryStream(deliveryId),
    {
      type: 'RequestDelivery',
      deliveryId,
      messageId: `msg_${deliveryId}`,
      target: { kind: 'webhook', webhook_id: webhookId },
      event: null,
      redeliveryOf: null,
    },
    ctx,
    { newStream: true },
  ).then((result) => ({ ...result, deliveryId }));
};

/** A new delivery of what `original` carried, under the same `webhook-id` so a receiver that has it already can tell. */
export const redeliver = async (
  deps: CommandHandlerDeps,
  ctx: CommandContext,
  original: { deliveryId: string; messageId: string; target: DeliveryTarget; event: DeliveredEventRef | null },
) => {
  const deliveryId = deps.env.newId();
  const result = await handleCommand(
    deps,
    deliveryDecider,
    deliveryStream(deliveryId),
    { type: 'RequestDelivery', deliveryId, messageId: original.messageId, target: original.target, event: original.event, redeliveryOf: original.deliveryId },
    ctx,
    { newStream: true },
  );
  return { ...result, deliveryId };
};

/**
 * The secret task callbacks of a team are signed with: derived from the team's settings key,
 * so it needs no event and is the same every time (`GET /api/v1/task-callbacks/secret`).
 */
export const taskCallbackSecret = async (deps: CommandHandlerDeps, tenant: string): Promise<string> =>
  `whsec_${(await deps.secrets.derived(tenant, 'task callbacks')).subarray(0, 24).toString('base64')}`;
