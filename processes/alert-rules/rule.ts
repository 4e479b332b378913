import type { AlertSeverity, AlertSubject } from '../../domain/alert/index.js';
import type { RecordedEvent } from '../../events/event-store.js';

/** What a rule concludes from one event about an alert of its own. */
export type AlertSignal =
  | { readonly kind: 'raise'; readonly subject: AlertSubject; readonly severity: AlertSeverity; readonly message: string }
  | { readonly kind: 'resolve'; readonly subject: AlertSubject; readonly reason: string };

/**
 * A rule over events. It sees every event of the log, in order, and tells which alerts of
 * its own the event raises or resolves; whether one is open already is not its concern (the
 * engine keeps one open alert per rule and subject). Deterministic: it knows only the events
 * it has seen, times included (`occurred_at`, never the clock), so a rule rebuilt from the
 * log signals exactly what it signalled the first time.
 */
export type AlertRule = {
  /** Stable, machine-readable, e.g. `instance_unhealthy`; part of every alert's id. */
  readonly name: string;
  readonly observe: (event: RecordedEvent) => readonly AlertSignal[];
  /** What it remembers, as JSON, so a restart resumes without folding the log again. */
  readonly snapshot: () => unknown;
  /** Takes back what `snapshot` gave, on a fresh rule. */
  readonly restore: (snapshot: unknown) => void;
};
