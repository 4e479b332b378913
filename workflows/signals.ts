import { defineSignal } from '@temporalio/workflow';

/**
 * An event of the workflow's aggregate, forwarded by the reactor: the stream's first
 * event as the workflow's input (`first`), later ones as signals. Events of one stream
 * arrive in revision order; a workflow ignores one whose revision it has already seen,
 * so the reactor's at-least-once delivery (after a restart) duplicates nothing.
 */
export type AggregateEvent = {
  readonly eventId: string;
  readonly type: string;
  readonly revision: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly data: Record<string, unknown>;
};

export const aggregateEventSignal = defineSignal<[AggregateEvent]>('aggregateEvent');

/** To a task waiting for an instance: capacity may have appeared, look again now (see placement-waker.ts). */
export const placementChanceSignal = defineSignal('placementChance');

/**
 * A write an activity made: the workflow waits until its event came back as a signal.
 * Task activities also report the stream's events the workflow had not seen (its own
 * writes among them), so the reactor need not signal those back: histories recorded
 * before they did so have no `events`.
 */
export type Written = { readonly revision: number | null; readonly events?: readonly AggregateEvent[] };
