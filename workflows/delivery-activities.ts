/**
 * The activity of the delivery workflow: one attempt, recorded. It reads the delivery's
 * stream first, so an attempt already recorded (the activity retried after a crash) is
 * reported, not sent again; the target, its secrets and the team's policy are read as they
 * are at the attempt, so a disabled or deleted webhook stops its deliveries.
 */
import { handleCommand, toDomainEvent, type CommandHandlerDeps } from '../commands/handle-command.js';
import { readTeamPolicy } from '../commands/team-policy.js';
import { readWebhook, signingSecrets, taskCallbackSecret } from '../commands/webhooks.js';
import { deliveryDecider, type DeliveryAttempted, type DeliveryEvent, type DeliveryRequested } from '../domain/webhook/index.js';
import type { RecordedEvent } from '../events/event-store.js';
import { deliveryStream } from '../events/streams.js';
import { workflowContext } from './activity-context.js';
import { sendSigned, type AttemptResult } from './webhook-sender.js';

/** Exponential backoff: `baseMs`, doubling, at most `maxMs` apart, given up once the next attempt would fall past `windowMs` after the request. */
export type RetrySchedule = { readonly baseMs: number; readonly maxMs: number; readonly windowMs: number };

/** Every 5 s, then 10 s, ... up to hourly, for a day: about 30 attempts. */
export const defaultRetrySchedule: RetrySchedule = { baseMs: 5000, maxMs: 3_600_000, windowMs: 86_400_000 };

export const retryDelayMs = (schedule: RetrySchedule, attempt: number): number => Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.min(attempt - 1, 30));

export type DeliveryActivityDeps = {
  readonly commands: CommandHandlerDeps;
  readonly retry: RetrySchedule;
  /** How long one attempt waits for an answer. */
  readonly timeoutMs: number;
};

export type DeliveryRef = { readonly deliveryId: string; readonly tenant: string };

/** What the workflow does next: wait `nextDelayMs` and attempt again, or stop (null). */
export type AttemptOutcome = { readonly nextDelayMs: number | null };

/** Standard Webhooks' payload shape: `type`, `timestamp`, `data`; `event` tells where in Bosun's log it comes from. */
const payloadOf = (event: RecordedEvent): string =>
  JSON.stringify({
    type: event.type,
    timestamp: event.metadata.occurred_at,
    data: event.data,
    event: { id: event.id, stream: event.stream, revision: event.revision, position: event.position },
  });

const failure = (error: string): AttemptResult => ({ ok: false, status: null, durationMs: 0, error, permanent: true });

export const createDeliveryActivities = (deps: DeliveryActivityDeps) => {
  const { commands } = deps;

  /** The URL, secrets and payload of the delivery now, or why it cannot be sent at all. */
  const prepare = async (ref: DeliveryRef, requested: DeliveryRequested['data'], requestedAt: string) => {
    let url: string;
    let secrets: string[];
    if (requested.target.kind === 'webhook') {
      const webhook = await readWebhook(commands, ref.tenant, requested.target.webhook_id);
      if (webhook.status !== 'active') return { refused: `the webhook is ${webhook.status === 'none' ? 'missing' : 'deleted'}` };
      if (!webhook.enabled) return { refused: 'the webhook is disabled' };
      url = webhook.url;
      secrets = await signingSecrets(commands, ref.tenant, webhook, commands.env.now());
    } else {
      url = requested.target.url;
      secrets = [await taskCallbackSecret(commands, ref.tenant)];
    }
    let body: string;
    if (requested.event === null) {
      const webhookId = requested.target.kind === 'webhook' ? requested.target.webhook_id : null;
      body = JSON.stringify({ type: 'webhook.ping', timestamp: requestedAt, data: { webhook_id: webhookId } });
    } else {
      const { stream, revision } = requested.event;
      const [event] = await commands.store.readStream(stream, { fromRevision: revision, maxCount: 1 });
      if (event?.revision !== revision) return { refused: `event ${requested.event.id} is no longer in the log` };
      body = payloadOf(event);
    }
    return { url, secrets, body };
  };

  return {
    async attemptDelivery(ref: DeliveryRef, attempt: number): Promise<AttemptOutcome> {
      const history = await commands.store.readStream(deliveryStream(ref.deliveryId));
      const first = history[0];
      if (first?.type !== 'delivery.requested' || first.tenant !== ref.tenant) return { nextDelayMs: null };
      const state = history.reduce((s, e) => deliveryDecider.evolve(s, toDomainEvent<DeliveryEvent>(e)), deliveryDecider.initialState());
      if (state.status === 'succeeded' || state.status === 'failed') return { nextDelayMs: null };
      const now = () => commands.env.now().getTime();
      if (state.attempts >= attempt) {
        const last = [...history].reverse().find((e) => e.type === 'delivery.attempted')?.data as DeliveryAttempted['data'];
        return { nextDelayMs: last.next_attempt_at === null ? null : Math.max(0, Date.parse(last.next_attempt_at) - now()) };
      }
      const requested = first.data as DeliveryRequested['data'];
      const prepared = await prepare(ref, requested, first.metadata.occurred_at);
      let result: AttemptResult;
      if ('refused' in prepared) result = failure(prepared.refused as string);
      else {
        const allowPrivate = (await readTeamPolicy(commands, ref.tenant)).allow_private_webhook_targets ?? false;
        result = await sendSigned(
          prepared.url,
          { messageId: requested.message_id, timestamp: commands.env.now(), body: prepared.body, secrets: prepared.secrets },
          { allowPrivate, timeoutMs: deps.timeoutMs },
        );
      }
      const delay = retryDelayMs(deps.retry, attempt);
      const giveUpAt = Date.parse(first.metadata.occurred_at) + deps.retry.windowMs;
      const nextDelayMs = result.ok || result.permanent || now() + delay > giveUpAt ? null : delay;
      await handleCommand(
        commands,
        deliveryDecider,
        deliveryStream(ref.deliveryId),
        {
          type: 'RecordDeliveryAttempt',
          attempt,
          outcome: result.ok ? 'succeeded' : 'failed',
          responseStatus: result.status,
          durationMs: result.durationMs,
          error: result.error?.slice(0, 2000) ?? null,
          nextAttemptAt: nextDelayMs === null ? null : new Date(now() + nextDelayMs).toISOString(),
        },
        workflowContext(ref.tenant, deliveryStream(ref.deliveryId), first.metadata.correlation_id),
      );
      return { nextDelayMs: result.ok ? null : nextDelayMs };
    },
  };
};

export type DeliveryActivities = ReturnType<typeof createDeliveryActivities>;
