/**
 * Webhook deliveries on a real Temporal dev server, to a receiver on loopback that checks
 * every signature with the standardwebhooks package.
 */
import t from 'tap';
import type { TestBosun } from '../api/harness.js';
import { startReceiver } from '../api/webhook-receiver.js';
import { eventually, sharedTemporal, startFleet } from './fleet-harness.js';

const temporal = await sharedTemporal(t);

/** Fast retries, so a failing receiver is tried again within the test. */
const fast = { webhookRetryBaseMs: 100, webhookRetryMaxMs: 400, webhookTimeoutMs: 2000 };

const allowLoopback = async (app: TestBosun) => {
  const answer = await app.call('PUT', '/api/v1/team/policy', { body: { drift_auto_approve_max_severity: 'low', allow_private_webhook_targets: true } });
  if (answer.status !== 200) throw new Error(`policy answered ${answer.status}: ${JSON.stringify(answer.body)}`);
};

const submitTask = async (app: TestBosun, marker: string): Promise<string> => {
  const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { marker } } });
  if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`);
  return submitted.body.id as string;
};

t.test('events of the types subscribed reach the receiver signed, once each, and the delivery log says so', async (t) => {
  const app = await startFleet(t, temporal, fast);
  const receiver = await startReceiver();
  t.teardown(receiver.close);

  const refused = await app.call('POST', '/api/v1/webhooks', { body: { url: receiver.url, event_types: ['task.submitted'] } });
  t.match(
    refused,
    { status: 400, body: { error: { param: 'url', message: /127\.0\.0\.1, a loopback address; the team policy allow_private_webhook_targets is off/ } } },
    'loopback refused by default',
  );

  await allowLoopback(app);
  const created = await app.call('POST', '/api/v1/webhooks', { body: { url: receiver.url, event_types: ['task.submitted'], description: 'ci' } });
  t.equal(created.status, 201);
  t.match(created.body.secret, /^whsec_/, 'the secret is shown at creation');
  receiver.secrets.push(created.body.secret as string);
  const webhookId = created.body.id as string;
  const fetched = await app.call('GET', `/api/v1/webhooks/${webhookId}`, { headers: { 'X-Min-Position': String(created.body.position) } });
  t.notOk('secret' in fetched.body, 'and never again');

  const taskIds = [await submitTask(app, 'one'), await submitTask(app, 'two')];
  await eventually('both deliveries handled', async () => receiver.handled.size === 2);
  t.same(receiver.rejected, [], 'every signature verified');
  const payloads = [...receiver.handled.values()].map((r) => r.payload);
  t.same(
    payloads.map((p) => p.type),
    ['task.submitted', 'task.submitted'],
  );
  t.same(payloads.map((p) => p.event.stream).sort(), taskIds.map((id) => `task-${id}`).sort(), 'one delivery per event');
  t.match(receiver.requests[0]?.headers, { 'webhook-id': /^msg_/, 'webhook-timestamp': /^\d+$/, 'webhook-signature': /^v1,/ });

  const log = await eventually('the delivery log shows both succeeded', async () => {
    const { body } = await app.call('GET', `/api/v1/webhooks/${webhookId}/deliveries`);
    return body.data.length === 2 && body.data.every((d: { status: string }) => d.status === 'succeeded') && body.data;
  });
  t.match(log[0], {
    object: 'webhook_delivery',
    webhook_id: webhookId,
    event_type: 'task.submitted',
    attempts: 1,
    response_status: 204,
    next_attempt_at: null,
  });

  const ping = await app.call('POST', `/api/v1/webhooks/${webhookId}/ping`, { body: {} });
  t.equal(ping.status, 202);
  await eventually('the ping handled', async () => [...receiver.handled.values()].some((r) => r.payload.type === 'webhook.ping'));

  const redelivered = await app.call('POST', `/api/v1/webhooks/${webhookId}/deliveries/${log[0].id}/redeliver`, { body: {} });
  t.match(redelivered, { status: 202, body: { redelivery_of: log[0].id, message_id: log[0].message_id } });
  await eventually('the redelivery arrives under the same webhook-id', async () => receiver.requests.filter((r) => r.id === log[0].message_id).length === 2);
  t.equal(receiver.handled.size, 3, 'and the receiver handles it once');
});

t.test('a failing receiver is retried with backoff; a rotated secret signs beside the old one during the overlap', async (t) => {
  const app = await startFleet(t, temporal, fast);
  await allowLoopback(app);
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  const created = await app.call('POST', '/api/v1/webhooks', { body: { url: receiver.url, event_types: ['task.*'] } });
  const webhookId = created.body.id as string;
  const rotated = await app.call('POST', `/api/v1/webhooks/${webhookId}/rotate-secret`, { body: { overlap_seconds: 3600 } });
  t.equal(rotated.status, 200);
  t.not(rotated.body.secret, created.body.secret, 'a new secret');
  // A receiver that knows only the old secret still verifies during the overlap.
  receiver.secrets.push(created.body.secret as string);

  await receiver.setMode('failing');
  const retried = await submitTask(app, 'retried');
  const retrying = await eventually('the delivery retrying', async () => {
    const { body } = await app.call('GET', `/api/v1/webhooks/${webhookId}/deliveries?status=retrying`);
    return body.data[0];
  });
  t.match(retrying, { response_status: 500, error: 'the receiver answered 500' });
  t.ok(Date.parse(retrying.next_attempt_at) > Date.parse(retrying.updated_at), 'with its next attempt');
  await receiver.setMode('up');
  // The task's later events (its deferral) are delivered too, maybe in the same instant: the submit is looked for by name.
  const message = await eventually('delivered after the receiver recovered', async () =>
    [...receiver.handled.values()].find((r) => r.payload.type === 'task.submitted' && r.payload.event.stream === `task-${retried}`),
  );
  t.equal(String(message.headers['webhook-signature']).split(' ').length, 2, 'two signatures: the new secret and the old');
  t.same(receiver.rejected, []);

  const disabled = await app.call('POST', `/api/v1/webhooks/${webhookId}/disable`, { body: {} });
  t.match(disabled, { status: 200, body: { enabled: false } });
  const requestsBefore = receiver.requests.length;
  await submitTask(app, 'not delivered');
  const ping = await app.call('POST', `/api/v1/webhooks/${webhookId}/ping`, { body: {} });
  const failed = await eventually('a ping to a disabled webhook fails at once', async () => {
    const { body } = await app.call('GET', `/api/v1/webhooks/${webhookId}/deliveries/${ping.body.id}`);
    return body.status === 'failed' && body;
  });
  t.match(failed, { error: 'the webhook is disabled', next_attempt_at: null });
  t.equal(receiver.requests.length, requestsBefore, 'nothing is sent to a disabled webhook');
});

t.test("a task's callback_url receives its terminal event, signed with the team's task callback secret", async (t) => {
  const app = await startFleet(t, temporal, fast);
  const receiver = await startReceiver([], '/callback');
  t.teardown(receiver.close);
  const refused = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, callback_url: receiver.url } });
  t.match(refused, { status: 400, body: { error: { param: 'callback_url', message: /loopback address/ } } }, 'checked like a webhook URL');
  t.match(await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, callback_url: 'ftp://example.com/x' } }), {
    status: 400,
    body: { error: { param: 'callback_url', message: /http or https/ } },
  });

  await allowLoopback(app);
  const secret = await app.call('GET', '/api/v1/task-callbacks/secret');
  t.match(secret.body, { object: 'task_callback_secret', secret: /^whsec_/ });
  receiver.secrets.push(secret.body.secret as string);
  const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {}, callback_url: receiver.url } });
  t.equal(submitted.status, 202);
  const taskId = submitted.body.id as string;
  const cancelled = await app.call('POST', `/api/v1/tasks/${taskId}/cancel`, { body: { reason: 'not needed' } });
  t.equal(cancelled.status, 200);
  await eventually('the callback handled', async () => receiver.handled.size === 1);
  const [callback] = receiver.handled.values();
  t.match(callback?.payload, { type: 'task.cancelled', event: { stream: `task-${taskId}` } }, 'the terminal event only');
  t.same(receiver.rejected, [], 'its signature verified with the team callback secret');
  t.equal(receiver.requests.length, 1, 'nothing else was sent');
});
