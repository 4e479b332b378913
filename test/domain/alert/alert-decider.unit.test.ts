import t from 'tap';
import { alertDecider, type AlertCommand, type AlertEvent } from '../../../domain/alert/index.js';
import { IllegalTransitionError, NotFoundError } from '../../../domain/shared/errors.js';
import { spec } from '../decider-specification.js';

const alert = spec(alertDecider);

const raise: AlertCommand = {
  type: 'RaiseAlert',
  alertId: 'a-1',
  rule: 'no_heartbeat',
  ruleId: 'r-1',
  severity: 'high',
  subject: { type: 'instance', id: 'i-1' },
  message: 'instance box (i-1) is unhealthy: no heartbeat for 15 s',
};
const raised: AlertEvent = {
  type: 'alert.raised',
  data: {
    alert_id: 'a-1',
    rule: 'no_heartbeat',
    rule_id: 'r-1',
    severity: 'high',
    subject: { type: 'instance', id: 'i-1' },
    message: 'instance box (i-1) is unhealthy: no heartbeat for 15 s',
  },
};
const acknowledged: AlertEvent = { type: 'alert.acknowledged', data: {} };
const resolved: AlertEvent = { type: 'alert.resolved', data: { reason: 'the instance is healthy again' } };

t.test('given nothing, when a rule raises an alert, then it is open', alert.given([]).when(raise).then([raised]));

t.test('given the alert was raised, when the same cause raises it again, then nothing is recorded', async (t) => {
  await alert.given([raised]).when(raise).then([])(t);
  await alert.given([raised, acknowledged, resolved]).when(raise).then([])(t);
});

t.test('given an open alert, when acknowledged, then it is acknowledged', alert.given([raised]).when({ type: 'AcknowledgeAlert' }).then([acknowledged]));

t.test('an open or acknowledged alert is resolved with its reason', async (t) => {
  const resolve: AlertCommand = { type: 'ResolveAlert', reason: 'the instance is healthy again' };
  await alert.given([raised]).when(resolve).then([resolved])(t);
  await alert.given([raised, acknowledged]).when(resolve).then([resolved])(t);
});

t.test('an action not allowed in the current state is refused naming the state', async (t) => {
  await alert
    .given([raised, acknowledged])
    .when({ type: 'AcknowledgeAlert' })
    .thenThrows(
      IllegalTransitionError,
      /^cannot acknowledge an alert that is acknowledged$/,
    )(t);
  await alert
    .given([raised, resolved])
    .when({ type: 'AcknowledgeAlert' })
    .thenThrows(
      IllegalTransitionError,
      /that is resolved$/,
    )(t);
  await alert
    .given([raised, acknowledged, resolved])
    .when({ type: 'ResolveAlert', reason: 'again' })
    .thenThrows(
      IllegalTransitionError,
      /^cannot resolve an alert that is resolved$/,
    )(t);
});

t.test('commands on an alert that does not exist are refused', async (t) => {
  await alert
    .given([])
    .when({ type: 'AcknowledgeAlert' })
    .thenThrows(
      NotFoundError,
      /alert does not exist/,
    )(t);
  await alert.given([]).when({ type: 'ResolveAlert', reason: 'x' }).thenThrows(NotFoundError)(t);
});
