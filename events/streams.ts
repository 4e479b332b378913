/**
 * Stream names, in one place: every stream is `<category>-<id>`, one per aggregate
 * (`task-0193...`), except drift, whose stream is its instance's (`drift-<instance id>`)
 * and holds every drift of that instance, and audit, which holds the log's seals
 * (`audit-<system team id>`) and, one stream per window and team, refused requests
 * (`audit-<new id>`).
 */

/** Every aggregate category of the log: one Kafka topic each. */
export const eventCategories = ['team', 'task', 'instance', 'drift', 'alert', 'alert_rule', 'privacy', 'audit', 'webhook', 'delivery', 'skill'] as const;
export type EventCategory = (typeof eventCategories)[number];

const streamOf =
  (category: EventCategory) =>
  (id: string): string =>
    `${category}-${id}`;

/** `task` for `task-0193...`. */
export const categoryOfStream = (stream: string): string => {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
};

/** `0193...` for `task-0193...`: the id of the aggregate (for drift, of its instance). */
export const idOfStream = (stream: string): string => stream.slice(stream.indexOf('-') + 1);

export const teamStream = streamOf('team');
export const taskStream = streamOf('task');
export const instanceStream = streamOf('instance');
/** The drift stream of an instance: every drift of it, and its configuration snapshots. */
export const driftStream = streamOf('drift');
export const alertStream = streamOf('alert');
export const alertRuleStream = streamOf('alert_rule');
/** A skill of a team's catalog (`skill-<team id>.<name>`): names are unique per team, not across teams. */
export const skillStream = (tenant: string, name: string): string => streamOf('skill')(`${tenant}.${name}`);
/** A team's erasures of data subjects (`privacy-<team id>`). */
export const privacyStream = streamOf('privacy');
/** The seals of the log (events/audit-seal.ts), kept by the system team. */
export const auditStream = streamOf('audit');
/** A team's subscription of a URL to events. */
export const webhookStream = streamOf('webhook');
/** One message on its way to a webhook or a task's callback URL, with its attempts. */
export const deliveryStream = streamOf('delivery');
