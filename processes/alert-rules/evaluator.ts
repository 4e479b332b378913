import type { Logger } from 'pino';
import { v5 as uuidv5 } from 'uuid';
import { ensureDefaultAlertRules } from '../../commands/alert-rules.js';
import { executeAlertCommand, raiseAlert } from '../../commands/alerts.js';
import { internalContext, type CommandContext } from '../../commands/command-context.js';
import type { CommandHandlerDeps } from '../../commands/handle-command.js';
import type { AlertSubject } from '../../domain/alert/index.js';
import { DomainError } from '../../domain/shared/errors.js';
import { allAlertRulesOf } from '../../projections/alert-rules/alert-rule-queries.js';
import type { AlertRuleView } from '../../projections/alert-rules/alert-rule-view.js';
import { alertsRaisedAbout, unresolvedAlertsOfRule } from '../../projections/alerts/alert-queries.js';
import type { ReadStore } from '../../projections/read-store.js';
import { firingsOf } from './conditions.js';
import type { FleetReadings } from './fleet-readings.js';

/** Namespace of alert ids. */
const alertIdNamespace = 'a4c110c5-4e98-406f-95fe-f1c4dd3731f3';

/**
 * The id of the `ordinal`-th alert (from 0) `ruleId` raises about `subject`: the dedup key.
 * Two evaluations that both see no open alert derive the same id, and the second raise
 * records nothing.
 */
export const alertIdFor = (ruleId: string, subject: AlertSubject, ordinal: number): string =>
  uuidv5(`${ruleId}\n${subject.type}\n${subject.id}\n${ordinal}`, alertIdNamespace);

export type AlertRuleEvaluatorOptions = {
  readonly commands: CommandHandlerDeps;
  /** Where the rules and the alerts are read. */
  readonly readStore: ReadStore;
  readonly readings: FleetReadings;
  /** Every team's id: each gets its default rules, and its rules evaluated. */
  readonly teams: () => Promise<readonly string[]>;
  readonly logger: Logger;
  /** @defaultValue 5000 ms between evaluations */
  readonly everyMs?: number;
  readonly now?: () => number;
};

const actor = { type: 'system', id: 'alert-rules' } as const;

/**
 * Evaluates every team's enabled rules on a timer, over the fleet's readings: a subject a
 * rule fires for without an unresolved alert of that rule raises one; an unresolved alert
 * whose subject no longer fires, or whose rule was disabled or deleted, is resolved. It
 * keeps no state of its own (what is open is read from the alerts read model), so a
 * restart resumes where it was; reads lagging behind writes at worst re-derive an alert id
 * already raised (nothing recorded) or resolve one resolved already (refused, ignored).
 */
export class AlertRuleEvaluator {
  /** Teams whose default rules were ensured since start. */
  readonly #ensured = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(private readonly options: AlertRuleEvaluatorOptions) {}

  start(): void {
    this.#timer ??= setInterval(() => void this.evaluate(), this.options.everyMs ?? 5000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One pass over every team; a pass still running is waited for rather than doubled. */
  evaluate(): Promise<void> {
    this.#running ??= this.#evaluateAll()
      .catch((error: unknown) => this.options.logger.error({ err: error }, 'alert rule evaluation failed'))
      .finally(() => (this.#running = null));
    return this.#running;
  }

  async #evaluateAll(): Promise<void> {
    for (const tenant of await this.options.teams()) {
      const ctx = internalContext({ tenant, actor, correlationId: `alert-rules-${tenant}` });
      if (!this.#ensured.has(tenant)) {
        await ensureDefaultAlertRules(this.options.commands, ctx);
        this.#ensured.add(tenant);
      }
      for (const rule of await allAlertRulesOf(this.options.readStore, tenant)) {
        await this.#evaluateRule(tenant, rule).catch((error: unknown) =>
          this.options.logger.error({ err: error, tenant, rule_id: rule.id }, 'alert rule not evaluated'),
        );
      }
    }
  }

  async #evaluateRule(tenant: string, rule: AlertRuleView): Promise<void> {
    const { commands, readStore, readings } = this.options;
    const ctx = internalContext({ tenant, actor, correlationId: `alert-rule-${rule.id}` });
    const unresolved = await unresolvedAlertsOfRule(readStore, tenant, rule.id);
    if (rule.status !== 'enabled') {
      for (const alert of unresolved) await this.#resolve(ctx, alert.id, `the rule was ${rule.status}`);
      return;
    }
    const firings = await firingsOf(rule.condition, readings, tenant, (this.options.now ?? Date.now)());
    const firingIds = new Set(firings.map(({ subject }) => subject.id));
    for (const alert of unresolved) {
      if (!firingIds.has(alert.subject_id)) await this.#resolve(ctx, alert.id, 'the condition cleared');
    }
    const open = new Set(unresolved.map((alert) => alert.subject_id));
    for (const { subject, message } of firings) {
      if (open.has(subject.id)) continue;
      const alertId = alertIdFor(rule.id, subject, await alertsRaisedAbout(readStore, tenant, rule.id, subject.id));
      const result = await raiseAlert(commands, ctx, {
        type: 'RaiseAlert',
        alertId,
        rule: rule.kind,
        ruleId: rule.id,
        severity: rule.severity,
        subject,
        message,
      });
      // Position 0: raised already, the read model had not caught up.
      if (result.position !== 0)
        this.options.logger.warn({ alert_id: alertId, rule_id: rule.id, rule: rule.kind, severity: rule.severity, subject, message }, 'alert raised');
    }
  }

  async #resolve(ctx: CommandContext, alertId: string, reason: string): Promise<void> {
    try {
      await executeAlertCommand(this.options.commands, ctx, alertId, { type: 'ResolveAlert', reason });
      this.options.logger.info({ alert_id: alertId, reason }, 'alert resolved');
    } catch (error) {
      // Resolved already (by an operator, or by a pass the read model has not caught up with).
      if (!(error instanceof DomainError)) throw error;
    }
  }
}
