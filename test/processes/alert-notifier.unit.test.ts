import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import t, { type Test } from 'tap';
import { createAlertRule, executeAlertRuleCommand } from '../../commands/alert-rules.js';
import { executeAlertCommand, raiseAlert } from '../../commands/alerts.js';
import { internalContext } from '../../commands/command-context.js';
import type { NotificationChannelRef } from '../../domain/alert-rule/index.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import type { RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { webhookNotificationChannel } from '../../infra/webhook-notification-channel.js';
import { AlertNotifier } from '../../processes/notifications/alert-notifier.js';
import type { NotificationChannel } from '../../processes/notifications/notification-channel.js';
import { testKeys } from '../commands/test-keys.js';

type Notified = { tenant: string; channel: NotificationChannelRef; type: string; alert: string };

/** A channel adapter that records what it is told, and fails the first `failures` times. */
const recordingChannel = (failures = 0) => {
  const notified: Notified[] = [];
  let failed = 0;
  const channel: NotificationChannel = {
    type: 'webhook',
    notify: async (tenant, ref, event) => {
      if (failed < failures) {
        failed++;
        throw new Error('the receiver is down');
      }
      notified.push({ tenant, channel: ref, type: event.type, alert: event.stream });
    },
  };
  return { channel, notified, failedTimes: () => failed };
};

const setUp = async (t: Test) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-notifier-'));
  const store = openEmbeddedEventStore({ directory: join(directory, 'log') });
  t.teardown(async () => {
    await store.close();
    rmSync(directory, { recursive: true, force: true });
  });
  let id = 0;
  const commands = { store, schemas: loadEventSchemas(), env: { now: () => new Date(), newId: () => `id-${++id}` }, ...testKeys() };
  const ctx = (tenant: string) => internalContext({ tenant, actor: { type: 'system', id: 'alert-rules' }, correlationId: 'test' });
  const notifierWith = (channel: NotificationChannel) =>
    new AlertNotifier({
      events: store,
      channels: [channel],
      stateFile: join(directory, 'notifier.checkpoint'),
      logger: pino({ enabled: false }),
      saveEveryMs: 10,
    });
  const raise = (tenant: string, ruleId: string, alertId: string) =>
    raiseAlert(commands, ctx(tenant), {
      type: 'RaiseAlert',
      alertId,
      rule: 'no_heartbeat',
      ruleId,
      severity: 'high',
      subject: { type: 'instance', id: 'i-1' },
      message: 'silent',
    });
  return { commands, ctx, notifierWith, raise };
};

const until = async (done: () => boolean) => {
  for (let waited = 0; !done(); waited += 10) {
    if (waited > 5000) throw new Error('never got there');
    await sleep(10);
  }
};

t.test("each alert event is told to the channels of the alert's rule, in its team", async (t) => {
  const { commands, ctx, notifierWith, raise } = await setUp(t);
  const channels = [
    { type: 'webhook', webhook_id: 'wh-ops' },
    { type: 'webhook', webhook_id: 'wh-pager' },
  ] as const;
  const loud = await createAlertRule(commands, ctx('team-a'), {
    name: 'loud',
    condition: { kind: 'no_heartbeat', seconds: 5 },
    severity: 'high',
    channels: [...channels],
  });
  const quiet = await createAlertRule(commands, ctx('team-a'), {
    name: 'quiet',
    condition: { kind: 'no_heartbeat', seconds: 5 },
    severity: 'low',
    channels: [],
  });
  await raise('team-a', loud.ruleId, 'a-1');
  await raise('team-a', quiet.ruleId, 'a-2');
  await executeAlertCommand(commands, ctx('team-a'), 'a-1', { type: 'AcknowledgeAlert' });
  await executeAlertCommand(commands, ctx('team-a'), 'a-1', { type: 'ResolveAlert', reason: 'back' });

  const { channel, notified } = recordingChannel();
  const notifier = notifierWith(channel);
  notifier.start();
  t.teardown(() => notifier.stop());
  await until(() => notified.length === 6);
  t.strictSame(notified, [
    { tenant: 'team-a', channel: channels[0], type: 'alert.raised', alert: 'alert-a-1' },
    { tenant: 'team-a', channel: channels[1], type: 'alert.raised', alert: 'alert-a-1' },
    { tenant: 'team-a', channel: channels[0], type: 'alert.acknowledged', alert: 'alert-a-1' },
    { tenant: 'team-a', channel: channels[1], type: 'alert.acknowledged', alert: 'alert-a-1' },
    { tenant: 'team-a', channel: channels[0], type: 'alert.resolved', alert: 'alert-a-1' },
    { tenant: 'team-a', channel: channels[1], type: 'alert.resolved', alert: 'alert-a-1' },
  ]);

  // The rule's channels as they are when the event is handled: changed, then deleted.
  await executeAlertRuleCommand(commands, ctx('team-a'), quiet.ruleId, {
    type: 'UpdateAlertRule',
    changes: { channels: [{ type: 'webhook', webhook_id: 'wh-late' }] },
  });
  await executeAlertCommand(commands, ctx('team-a'), 'a-2', { type: 'AcknowledgeAlert' });
  await until(() => notified.length === 7);
  t.match(notified[6], { channel: { webhook_id: 'wh-late' }, type: 'alert.acknowledged', alert: 'alert-a-2' });
  await executeAlertRuleCommand(commands, ctx('team-a'), quiet.ruleId, { type: 'DeleteAlertRule' });
  await executeAlertCommand(commands, ctx('team-a'), 'a-2', { type: 'ResolveAlert', reason: 'gone' });
  await raise('team-a', loud.ruleId, 'a-3');
  await until(() => notified.length === 9);
  t.same(
    notified.slice(7).map((n) => `${n.type} ${n.alert}`),
    ['alert.raised alert-a-3', 'alert.raised alert-a-3'],
    'a deleted rule tells nobody',
  );
});

t.test('a failing channel is retried, and nothing after it is skipped; a restart resumes after what was handed over', async (t) => {
  const { commands, ctx, notifierWith, raise } = await setUp(t);
  const rule = await createAlertRule(commands, ctx('team-b'), {
    name: 'r',
    condition: { kind: 'open_drift', severity: 'high' },
    severity: 'high',
    channels: [{ type: 'webhook', webhook_id: 'wh-1' }],
  });
  await raise('team-b', rule.ruleId, 'b-1');
  await raise('team-b', rule.ruleId, 'b-2');
  const first = recordingChannel(2);
  const notifier = notifierWith(first.channel);
  notifier.start();
  await until(() => first.notified.length === 2);
  t.equal(first.failedTimes(), 2, 'the first notification failed twice before it was taken');
  t.same(
    first.notified.map((n) => n.alert),
    ['alert-b-1', 'alert-b-2'],
  );
  await notifier.stop();

  await raise('team-b', rule.ruleId, 'b-3');
  const second = recordingChannel();
  const restarted = notifierWith(second.channel);
  restarted.start();
  t.teardown(() => restarted.stop());
  await until(() => second.notified.length === 1);
  await sleep(50);
  t.same(
    second.notified.map((n) => n.alert),
    ['alert-b-3'],
    'only what came after the checkpoint',
  );
});

t.test('the webhook adapter hands the alert event to the webhooks seam for the webhook the rule names', async (t) => {
  const { commands } = await setUp(t);
  const requested: unknown[][] = [];
  const channel = webhookNotificationChannel(commands, async (deps, tenant, webhookId, event: RecordedEvent) => {
    requested.push([deps === commands, tenant, webhookId, event.id]);
  });
  const event = { id: 'e-1', stream: 'alert-a-1', type: 'alert.raised', tenant: 'team-a' } as RecordedEvent;
  await channel.notify('team-a', { type: 'webhook', webhook_id: 'wh-9' }, event);
  t.strictSame(requested, [[true, 'team-a', 'wh-9', 'e-1']]);
});
