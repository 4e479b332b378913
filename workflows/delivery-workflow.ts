/**
 * One delivery, durable: attempt, and after a failure wait (a Temporal timer, which
 * survives restarts of Bosun and of Temporal) and attempt again, until it succeeds or the
 * activity says to stop (given up, or refused). The workflow id is the delivery's stream,
 * whose id derives from the target and the event, so one event is delivered once per target.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import { activityHeartbeatTimeout } from './activity-options.js';
import type { DeliveryActivities, DeliveryRef } from './delivery-activities.js';
import type { AggregateEvent } from './signals.js';

const { attemptDelivery } = proxyActivities<DeliveryActivities>({
  // Sending waits for the receiver (the attempt's own timeout is at most 2 minutes); failures of Bosun's own stores are retried.
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: activityHeartbeatTimeout,
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export type DeliveryWorkflowInput = DeliveryRef & { readonly first?: AggregateEvent };

export async function deliveryWorkflow(input: DeliveryWorkflowInput): Promise<void> {
  const ref = { deliveryId: input.deliveryId, tenant: input.tenant };
  for (let attempt = 1; ; attempt++) {
    const { nextDelayMs } = await attemptDelivery(ref, attempt);
    if (nextDelayMs === null) return;
    await sleep(nextDelayMs);
  }
}
