import t from 'tap';
import { IllegalTransitionError, NotFoundError, RuleViolationError } from '../../../domain/shared/errors.js';
import {
  deliveryDecider,
  subscribesTo,
  webhookDecider,
  type DeliveryCommand,
  type DeliveryEvent,
  type WebhookCommand,
  type WebhookEvent,
} from '../../../domain/webhook/index.js';
import { spec } from '../decider-specification.js';

const webhook = spec(webhookDecider);
const delivery = spec(deliveryDecider);

const secret = { $sealed: { v: 1, data: 'one' } };
const create: WebhookCommand = {
  type: 'CreateWebhook',
  webhookId: 'w-1',
  url: 'https://example.com/hooks',
  eventTypes: ['task.completed', 'alert.*'],
  description: 'ops',
  enabled: true,
  secret,
};
const created: WebhookEvent = {
  type: 'webhook.created',
  data: { webhook_id: 'w-1', url: 'https://example.com/hooks', event_types: ['task.completed', 'alert.*'], description: 'ops', enabled: true, secret },
};
const disabled: WebhookEvent = { type: 'webhook.disabled', data: {} };
const deleted: WebhookEvent = { type: 'webhook.deleted', data: {} };

t.test('given nothing, when a webhook is created, then it subscribes, enabled', webhook.given([]).when(create).then([created]));
t.test('given a webhook, when it is created again (a retried request), then nothing new', webhook.given([created]).when(create).then([]));
t.test(
  'given nothing, when a webhook with no event types is created, then it is refused naming the field',
  webhook
    .given([])
    .when({ ...create, eventTypes: [] })
    .thenThrows(RuleViolationError, { field: 'event_types' }),
);
t.test(
  'given nothing, when a webhook is updated, then it is not found',
  webhook.given([]).when({ type: 'UpdateWebhook', url: 'https://x.example' }).thenThrows(NotFoundError),
);
t.test(
  'given a webhook, when its URL is updated, then the new values are recorded whole',
  webhook
    .given([created])
    .when({ type: 'UpdateWebhook', url: 'https://example.com/v2' })
    .then([{ type: 'webhook.updated', data: { url: 'https://example.com/v2', event_types: ['task.completed', 'alert.*'], description: 'ops' } }]),
);
t.test(
  'given a webhook, when it is updated with the values it has, then nothing is recorded',
  webhook.given([created]).when({ type: 'UpdateWebhook', url: 'https://example.com/hooks', description: 'ops' }).then([]),
);
t.test('given an enabled webhook, when it is disabled, then it is', webhook.given([created]).when({ type: 'DisableWebhook' }).then([disabled]));
t.test('given a disabled webhook, when it is disabled again, then nothing', webhook.given([created, disabled]).when({ type: 'DisableWebhook' }).then([]));
t.test(
  'given a disabled webhook, when it is enabled, then it is',
  webhook
    .given([created, disabled])
    .when({ type: 'EnableWebhook' })
    .then([{ type: 'webhook.enabled', data: {} }]),
);
t.test(
  'given a webhook, when its secret is rotated, then the new one signs and the old one until the overlap ends',
  webhook
    .given([created])
    .when({ type: 'RotateWebhookSecret', secret: { $sealed: 'two' }, previousValidUntil: '2026-01-02T00:00:00.000Z' })
    .then([{ type: 'webhook.secret_rotated', data: { secret: { $sealed: 'two' }, previous_valid_until: '2026-01-02T00:00:00.000Z' } }]),
);
t.test('given a webhook, when it is deleted, then it is gone', webhook.given([created]).when({ type: 'DeleteWebhook' }).then([deleted]));
t.test('given a deleted webhook, when it is deleted again, then nothing', webhook.given([created, deleted]).when({ type: 'DeleteWebhook' }).then([]));
t.test(
  'given a deleted webhook, when it is enabled, then the refusal names the state',
  webhook
    .given([created, deleted])
    .when({ type: 'EnableWebhook' })
    .thenThrows(IllegalTransitionError, /cannot enable a webhook that is deleted/),
);

t.test('a subscription takes the types it names and the categories it names with .*', async (t) => {
  t.ok(subscribesTo(['task.completed'], 'task.completed'));
  t.notOk(subscribesTo(['task.completed'], 'task.failed'));
  t.ok(subscribesTo(['task.*'], 'task.failed'));
  t.notOk(subscribesTo(['task.*'], 'taskforce.failed'));
  t.ok(subscribesTo(['*'], 'alert.raised'));
});

const request: DeliveryCommand = {
  type: 'RequestDelivery',
  deliveryId: 'd-1',
  messageId: 'msg_d-1',
  target: { kind: 'webhook', webhook_id: 'w-1' },
  event: { id: 'e-1', type: 'task.completed', stream: 'task-t-1', revision: 4 },
  redeliveryOf: null,
};
const requested: DeliveryEvent = {
  type: 'delivery.requested',
  data: { delivery_id: 'd-1', message_id: 'msg_d-1', target: { kind: 'webhook', webhook_id: 'w-1' }, event: request.event, redelivery_of: null },
};
const failedAttempt = (attempt: number, next: string | null): DeliveryCommand => ({
  type: 'RecordDeliveryAttempt',
  attempt,
  outcome: 'failed',
  responseStatus: 500,
  durationMs: 12,
  error: 'the receiver answered 500',
  nextAttemptAt: next,
});
const attempted = (attempt: number, next: string | null): DeliveryEvent => ({
  type: 'delivery.attempted',
  data: { attempt, outcome: 'failed', response_status: 500, duration_ms: 12, error: 'the receiver answered 500', next_attempt_at: next },
});
const succeeded: DeliveryEvent = {
  type: 'delivery.attempted',
  data: { attempt: 2, outcome: 'succeeded', response_status: 204, duration_ms: 3, error: null, next_attempt_at: null },
};

t.test('given nothing, when a delivery is requested, then it is', delivery.given([]).when(request).then([requested]));
t.test('given a delivery, when the dispatcher requests it again after a crash, then nothing new', delivery.given([requested]).when(request).then([]));
t.test('given nothing, when an attempt is recorded, then the delivery is not found', delivery.given([]).when(failedAttempt(1, null)).thenThrows(NotFoundError));
t.test(
  'given a delivery, when an attempt fails with a next attempt, then it is recorded',
  delivery
    .given([requested])
    .when(failedAttempt(1, '2026-01-01T00:00:01.000Z'))
    .then([attempted(1, '2026-01-01T00:00:01.000Z')]),
);
t.test(
  'given a recorded attempt, when the same attempt is recorded again (a retried activity), then nothing',
  delivery
    .given([requested, attempted(1, '2026-01-01T00:00:01.000Z')])
    .when(failedAttempt(1, '2026-01-01T00:00:01.000Z'))
    .then([]),
);
t.test(
  'given a succeeded delivery, when a later attempt is recorded, then nothing',
  delivery
    .given([requested, attempted(1, '2026-01-01T00:00:01.000Z'), succeeded])
    .when(failedAttempt(3, null))
    .then([]),
);
t.test(
  'given a given-up delivery, when another attempt is recorded, then nothing',
  delivery
    .given([requested, attempted(1, null)])
    .when(failedAttempt(2, null))
    .then([]),
);
t.test('the delivery state says succeeded, retrying or failed', async (t) => {
  const fold = (events: DeliveryEvent[]) => events.reduce(deliveryDecider.evolve, deliveryDecider.initialState()).status;
  t.equal(fold([requested]), 'pending');
  t.equal(fold([requested, attempted(1, '2026-01-01T00:00:01.000Z')]), 'retrying');
  t.equal(fold([requested, attempted(1, null)]), 'failed');
  t.equal(fold([requested, attempted(1, '2026-01-01T00:00:01.000Z'), succeeded]), 'succeeded');
});
