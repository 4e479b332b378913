import type { AccessRefusedData } from '../../domain/audit/index.js';
import type { Actor, RecordedEvent } from '../../events/event-store.js';
import { categoryOfStream, eventCategories, idOfStream } from '../../events/streams.js';
import type { Projector } from '../projector.js';
import type { ReadDocument, ReadStore } from '../read-store.js';

/** What became of what was attempted: a command's events were written, or the request was refused (401, 403, 404). */
export const auditResults = ['succeeded', 'unauthenticated', 'forbidden', 'not_found'] as const;
export type AuditResult = (typeof auditResults)[number];

/** Who acted: an actor of the log, or (refused without a valid key) a caller known by its address alone. */
export const auditActorTypes = ['user', 'api_key', 'agent', 'workflow', 'system', 'anonymous'] as const satisfies readonly (Actor['type'] | 'anonymous')[];
export type AuditActorType = (typeof auditActorTypes)[number];

const resultOfStatus: Record<AccessRefusedData['status'], AuditResult> = { 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found' };

/**
 * One command as the audit log shows it: who, what, the events it wrote, when and from
 * where. `id` is the id of its first event, `seq` that event's position. Requests refused
 * alike from one source within a window are one record too (`access.refused`, on the
 * route), with their `count` and the window's first and last refusal.
 */
export type AuditRecord = ReadDocument & {
  readonly occurred_at: string;
  /** When the last of `count` happened: `occurred_at` for a command. */
  readonly last_at: string;
  readonly count: number;
  readonly actor_type: AuditActorType;
  readonly actor_id: string;
  /** `task.submit`: the aggregate and the command, or the first event's type for events stored without their command. */
  readonly action: string;
  readonly resource_type: string;
  readonly resource_id: string;
  readonly event_types: readonly string[];
  readonly result: AuditResult;
  readonly request_id: string | null;
  readonly correlation_id: string;
  readonly causation_id: string | null;
  readonly client_ip: string | null;
  readonly user_agent: string | null;
  /** Global positions of the command's first and last event. */
  readonly first_position: number;
  readonly last_position: number;
};

/** The last record of a stream, which the stream's next event joins when the same command wrote it. */
type AuditHead = ReadDocument & { readonly record_id: string; readonly command_key: string };

export const auditLogCollection = (store: ReadStore) => store.collection<AuditRecord>('audit_logs');
const auditHeadCollection = (store: ReadStore) => store.collection<AuditHead>('audit_log_heads');

/** `SubmitTask` in `task` is `task.submit`; `IssueApiKey` in `team` is `team.issue_api_key`; `CreateAlertRule` in `alert_rule` is `alert_rule.create`. */
export const actionOf = (category: string, command: string): string => {
  const categoryWords = category.split('_');
  const words = command
    .split(/(?=[A-Z])/)
    .map((word) => word.toLowerCase())
    .filter((word) => !categoryWords.includes(word));
  return `${category}.${words.join('_')}`;
};

/**
 * The events of one command are appended together, to one stream, with one metadata:
 * consecutive revisions of a stream with equal metadata belong to one command.
 */
const commandKeyOf = (event: RecordedEvent): string => {
  const { actor, occurred_at, request_id, correlation_id, causation_id, command } = event.metadata;
  return JSON.stringify([actor.type, actor.id, occurred_at, request_id, correlation_id, causation_id, command ?? null]);
};

/** One record per command of every aggregate; applied twice, changed once (by stream revision). */
export const auditLogProjector: Projector = {
  name: 'audit_logs',
  collections: [
    {
      name: 'audit_logs',
      indexes: [['tenant'], ['tenant', 'actor_id'], ['tenant', 'action'], ['tenant', 'resource_type', 'resource_id'], ['tenant', 'request_id']],
    },
    { name: 'audit_log_heads', indexes: [['tenant']] },
  ],
  categories: [...eventCategories],
  apply: async (event, store) => {
    // Each refusal event is a record of its own, made from the event alone: put again, changed once.
    if (event.type === 'audit.access_refused') return auditLogCollection(store).put(refusalRecord(event));
    const heads = auditHeadCollection(store);
    const records = auditLogCollection(store);
    const head = await heads.get(event.stream);
    if (head && event.revision <= head.revision) return;
    const commandKey = commandKeyOf(event);
    const joined = head && head.revision === event.revision - 1 && head.command_key === commandKey ? await records.get(head.record_id) : null;
    const record: AuditRecord = joined
      ? { ...joined, revision: event.revision, event_types: [...joined.event_types, event.type], last_position: event.position }
      : newRecord(event);
    await records.put(record);
    await heads.put({ id: event.stream, tenant: event.tenant, seq: record.seq, revision: event.revision, record_id: record.id, command_key: commandKey });
  },
};

const newRecord = (event: RecordedEvent): AuditRecord => {
  const { metadata } = event;
  const category = categoryOfStream(event.stream);
  return {
    id: event.id,
    tenant: event.tenant,
    seq: event.position,
    revision: event.revision,
    occurred_at: metadata.occurred_at,
    last_at: metadata.occurred_at,
    count: 1,
    actor_type: metadata.actor.type,
    actor_id: metadata.actor.id,
    action: metadata.command ? actionOf(category, metadata.command) : event.type,
    resource_type: category,
    resource_id: idOfStream(event.stream),
    event_types: [event.type],
    result: 'succeeded',
    request_id: metadata.request_id,
    correlation_id: metadata.correlation_id,
    causation_id: metadata.causation_id,
    client_ip: metadata.client_ip,
    user_agent: metadata.user_agent,
    first_position: event.position,
    last_position: event.position,
  };
};

const refusalRecord = (event: RecordedEvent): AuditRecord => {
  const data = event.data as AccessRefusedData;
  return {
    id: event.id,
    tenant: event.tenant,
    seq: event.position,
    revision: event.revision,
    occurred_at: data.first_at,
    last_at: data.last_at,
    count: data.count,
    actor_type: data.key_id === null ? 'anonymous' : 'api_key',
    actor_id: data.key_id ?? data.client_ip ?? '*',
    action: 'access.refused',
    resource_type: 'route',
    resource_id: data.method === null || data.route === null ? '*' : `${data.method} ${data.route}`,
    event_types: [event.type],
    result: resultOfStatus[data.status],
    request_id: data.first_request_id,
    correlation_id: event.metadata.correlation_id,
    causation_id: event.metadata.causation_id,
    client_ip: data.client_ip,
    user_agent: data.user_agent,
    first_position: event.position,
    last_position: event.position,
  };
};
