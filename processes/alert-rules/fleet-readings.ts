import type { AlertSeverity } from '../../domain/alert/index.js';

/** An instance as alerts name it. */
export type InstanceRef = { readonly id: string; readonly name: string };

/** One value of a metric an agent reported, at an RFC 3339 time. */
export type MetricSample = { readonly at: string; readonly value: number };

/**
 * What the alert rules read about a team's fleet, each reading for one tenant only. The
 * port keeps the rules pure and testable with a fake; the adapter (fleet-readings-adapter.ts)
 * reads the read models and the heartbeat monitor.
 */
export type FleetReadings = {
  /** Running instances and when their agent was last heard of (RFC 3339). */
  readonly lastHeartbeats: (tenant: string) => Promise<readonly { readonly instance: InstanceRef; readonly at: string }[]>;
  /** Per instance, the task runs that ended at or after `since`, by outcome. */
  readonly taskOutcomes: (
    tenant: string,
    since: string,
  ) => Promise<readonly { readonly instance: InstanceRef; readonly completed: number; readonly failed: number }[]>;
  /** Drift not yet resolved or dismissed, one entry per drift event. */
  readonly openDrift: (tenant: string) => Promise<readonly { readonly instance: InstanceRef; readonly driftId: string; readonly severity: AlertSeverity }[]>;
  /**
   * Per instance, the samples of `metric` at or after `since`, oldest first, and the last
   * one before `since` (the value in force when the window began), or null.
   */
  readonly metricSeries: (
    tenant: string,
    metric: string,
    since: string,
  ) => Promise<readonly { readonly instance: InstanceRef; readonly before: MetricSample | null; readonly samples: readonly MetricSample[] }[]>;
};
