/**
 * THE reliability scenario of webhooks: the receiver is down for a while, then answers
 * 500s, then recovers, and Bosun is killed with SIGKILL in between. Every event reaches the
 * receiver's handler exactly once (after de-duplication by webhook-id), none is lost. And an
 * attempt cut by the kill is tried again within seconds, not after its activity's timeout.
 */
import t, { type Test } from 'tap';
import { freePort, missingBuild, serve, stopped } from '../api/process.js';
import { startReceiver } from '../api/webhook-receiver.js';
import { eventually, sharedTemporal } from './fleet-harness.js';
import { apiAt, fleetEnv, scratch, stop, type Api } from './resumption-harness.js';

const temporal = missingBuild ? null : await sharedTemporal(t);

/** Submits one after another, adding each acknowledged task's id to `acknowledged`. */
const submitMany = async (api: Api, count: number, label: string, acknowledged: string[]): Promise<void> => {
  for (let i = 0; i < count; i++) {
    const submitted = await api('POST', '/api/v1/tasks', { kind: 'echo', input: { label, i } });
    if (submitted.status !== 202) throw new Error(`submit answered ${submitted.status}`);
    acknowledged.push(submitted.body.id as string);
  }
};

/**
 * Bosun on its own data directory and port, with `settings` over the fleet environment, and
 * a receiver subscribed to `task.submitted`; `kill` is a SIGKILL, `restart` starts Bosun
 * again on the same directory and port.
 */
const bosunWithReceiver = async (t: Test, queue: string, settings: Record<string, string>) => {
  const dataDir = scratch(t);
  const port = await freePort();
  const env = fleetEnv({ TEMPORAL_ADDRESS: temporal!.address, BOSUN_TASK_QUEUE: `${queue}-${process.pid}`, ...settings });
  let bosun = await serve(dataDir, port, env);
  t.teardown(() => stop(bosun));
  const api = apiAt(bosun.base);
  const receiver = await startReceiver();
  t.teardown(receiver.close);
  await api('PUT', '/api/v1/team/policy', { drift_auto_approve_max_severity: 'low', allow_private_webhook_targets: true });
  const created = await api('POST', '/api/v1/webhooks', { url: receiver.url, event_types: ['task.submitted'] });
  if (created.status !== 201) throw new Error(`webhook not created: ${JSON.stringify(created.body)}`);
  receiver.secrets.push(created.body.secret as string);
  return {
    api,
    receiver,
    webhookId: created.body.id as string,
    kill: async () => {
      bosun.child.kill('SIGKILL');
      await stopped(bosun.child);
    },
    restart: async () => {
      bosun = await serve(dataDir, port, env);
    },
  };
};

t.test('down, then 500s, then up, with a kill -9 of Bosun between: every event handled exactly once', { skip: missingBuild }, async (t) => {
  const { api, receiver, webhookId, kill, restart } = await bosunWithReceiver(t, 'webhook-reliability', {
    BOSUN_WEBHOOK_RETRY_BASE_MS: '200',
    BOSUN_WEBHOOK_RETRY_MAX_MS: '1000',
    BOSUN_WEBHOOK_TIMEOUT_MS: '2000',
  });

  await receiver.setMode('down');
  const submitted: string[] = [];
  await submitMany(api, 15, 'while down', submitted);
  await eventually('deliveries failing against the receiver that is down', async () => {
    const { body } = await api('GET', `/api/v1/webhooks/${webhookId}/deliveries?status=retrying`);
    return body.data.length >= 5;
  });
  // Submits still arriving when Bosun dies: some of their events are not dispatched yet.
  // A submit cut by the kill has no answer, though its event may be in the log: only acknowledged ones are counted.
  const late = submitMany(api, 15, 'at the kill', submitted).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 150));
  await kill();
  await late;

  await receiver.setMode('failing');
  await restart();
  await submitMany(api, 10, 'after the restart', submitted);
  await eventually('the receiver answering 500s to the retries', async () => receiver.requests.length >= 10);
  await receiver.setMode('up');

  const expected = new Set(submitted.map((id) => `task-${id}`));
  const handledStreams = () => [...receiver.handled.values()].map((r) => r.payload.event.stream as string);
  await eventually('every acknowledged submit delivered', async () => [...expected].every((stream) => handledStreams().includes(stream)), 90_000);
  t.pass(`each of the ${expected.size} acknowledged events reached the handler, none lost`);
  t.equal(new Set(handledStreams()).size, handledStreams().length, 'and each exactly once after de-duplication by webhook-id: no event under two ids');
  t.same(receiver.rejected, [], 'every signature verified');
  t.ok(
    receiver.requests.length > receiver.handled.size,
    `${receiver.requests.length} requests for ${receiver.handled.size} messages: retried through the outage`,
  );

  const log = await eventually('the delivery log shows every delivery succeeded', async () => {
    const { body } = await api('GET', `/api/v1/webhooks/${webhookId}/deliveries?limit=100`);
    return body.data.length === receiver.handled.size && body.data.every((d: { status: string }) => d.status === 'succeeded') && body.data;
  });
  t.ok(
    log.some((delivery: { attempts: number }) => delivery.attempts > 1),
    'some deliveries took several attempts',
  );
});

t.test('an attempt in flight when Bosun is killed is made again soon after the restart', { skip: missingBuild }, async (t) => {
  // The attempt's own timeout is longer than the test waits: only the activity's heartbeat timeout can free it.
  const { api, receiver, kill, restart } = await bosunWithReceiver(t, 'webhook-in-flight', { BOSUN_WEBHOOK_TIMEOUT_MS: '120000' });

  await receiver.setMode('hanging');
  const taskId = (await api('POST', '/api/v1/tasks', { kind: 'echo', input: {} })).body.id as string;
  await eventually('the attempt waiting on the receiver', async () => receiver.requests.length === 1);
  await kill();
  await receiver.setMode('up');
  await restart();
  const handled = await eventually(
    'the attempt made again and handled',
    async () => [...receiver.handled.values()].find((r) => r.payload.event.stream === `task-${taskId}`),
    60_000,
  );
  t.equal(handled.id, receiver.requests[0]?.id, 'under the webhook-id of the attempt cut off');
});
