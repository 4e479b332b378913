import { v5 as uuidv5 } from 'uuid';
import type { Decider, DomainEvent } from '../domain/shared/decider.js';
import { NotFoundError } from '../domain/shared/errors.js';
import type { EventSchemaRegistry } from '../events/event-schemas.js';
import { WrongExpectedRevisionError, type EventMetadata, type EventStore, type NewEvent, type RecordedEvent } from '../events/event-store.js';
import { categoryOfStream } from '../events/streams.js';
import type { CommandContext, CommandEnvironment } from './command-context.js';
import { subjectOfActor, type PersonalData } from './personal-data.js';
import type { SecretSettings } from './secret-settings.js';

export type CommandHandlerDeps = {
  readonly store: EventStore;
  readonly schemas: EventSchemaRegistry;
  readonly env: CommandEnvironment;
  /** Seals the secret settings of a spec before they reach an event, and opens them where they are used. */
  readonly secrets: SecretSettings;
  /** Seals personal data (the client IP and user agent of a key's requests, values marked personal) under its subject's key. */
  readonly personal: PersonalData;
  /**
   * Attempts before a concurrency conflict is reported to the caller.
   * @defaultValue 5
   */
  readonly maxAttempts?: number;
};

export type CommandResult<State> = {
  readonly state: State;
  /** Revision of the stream's last event, -1 if the stream does not exist. */
  readonly revision: number;
  /** Global position of the stream's last event written by this command, or 0 if none was. */
  readonly position: number;
  /**
   * The stream as this command left it (history read plus events appended), so callers can
   * answer without reading it again; null when a position in it is unknown (an append of
   * several events: the port reports only the last one's position).
   */
  readonly stream: readonly RecordedEvent[] | null;
  /** The time stamped on the events appended (on the stream's last event when none was); null for no stream. */
  readonly occurredAt: string | null;
};

/** The stream kept changing under the command: reported as 409 after bounded retries. */
export class ConcurrencyConflictError extends Error {
  readonly code = 'concurrency_conflict';
  constructor(
    readonly stream: string,
    readonly attempts: number,
  ) {
    super(`stream ${stream} changed concurrently ${attempts} times; retry the request`);
  }
}

/** The caller decided on a revision of the stream that is no longer its last (HTTP 412). */
export class PreconditionFailedError extends Error {
  readonly code = 'precondition_failed';
  constructor(
    readonly stream: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`the ${categoryOfStream(stream)} is at revision ${actual}, not ${expected} as If-Match says: read it again and decide anew`);
  }
}

/** Namespace of deterministic event ids: a retried idempotent command yields the same ids. */
const eventIdNamespace = '6f1d1c36-5a0e-4c61-9d7e-2f4b3b1e8a90';

/** Where a request came from and with what, about the person behind the key: sealed under that subject's key. */
type RequestOrigin = { readonly client_ip: string | null; readonly user_agent: string | null };

const originOf = async (deps: CommandHandlerDeps, ctx: CommandContext): Promise<RequestOrigin> => {
  const subject = subjectOfActor(ctx.actor);
  if (subject === null || (ctx.clientIp === null && ctx.userAgent === null)) return { client_ip: ctx.clientIp, user_agent: ctx.userAgent };
  const seal = await deps.personal.sealerFor(ctx.tenant, subject);
  // Of a subject erased, nothing more is recorded.
  const sealed = (value: string | null) => (value === null ? null : seal(value));
  return { client_ip: sealed(ctx.clientIp), user_agent: sealed(ctx.userAgent) };
};

const metadataFor = (ctx: CommandContext, command: string, origin: RequestOrigin, occurredAt: string, schemaVersion: number): EventMetadata => ({
  actor: ctx.actor,
  correlation_id: ctx.correlationId,
  causation_id: ctx.causationId,
  request_id: ctx.requestId,
  ...origin,
  occurred_at: occurredAt,
  schema_version: schemaVersion,
  command,
  ...(ctx.idempotency ? { idempotency: { key: ctx.idempotency.key, request_hash: ctx.idempotency.requestHash } } : {}),
});

const eventId = (ctx: CommandContext, env: CommandEnvironment, stream: string, index: number): string =>
  ctx.idempotency ? uuidv5(`${ctx.tenant}\n${ctx.actor.id}\n${ctx.idempotency.key}\n${stream}\n${index}`, eventIdNamespace) : env.newId();

/**
 * Loads a stream, decides, and appends with the expected revision, reading and deciding
 * again when another write got there first; with `ctx.expectedRevision` it does not: the
 * stream must be at that revision. Another tenant's stream is indistinguishable from a
 * missing one.
 *
 * A resource that shares its stream with others (a drift event, on its instance's drift
 * stream) gives `revisionOf`, the revision of its own last event: `ctx.expectedRevision`
 * is checked against that, and a conflict (perhaps another resource's write) has the
 * command read, check and decide again.
 */
export const handleCommand = async <Command extends { readonly type: string }, Event extends DomainEvent, State>(
  deps: CommandHandlerDeps,
  decider: Decider<Command, Event, State>,
  stream: string,
  command: Command,
  ctx: CommandContext,
  /** The stream's id was just generated, so there is no history to read (a conflict reads it anyway). */
  options: { readonly newStream?: boolean; readonly revisionOf?: (history: readonly RecordedEvent[]) => number } = {},
): Promise<CommandResult<State>> => {
  const maxAttempts = deps.maxAttempts ?? 5;
  const origin = await originOf(deps, ctx);
  for (let attempt = 1; ; attempt++) {
    const history = options.newStream && attempt === 1 ? [] : await deps.store.readStream(stream);
    if (history.length > 0 && history[0]?.tenant !== ctx.tenant) throw new NotFoundError(categoryOfStream(stream));
    const state = history.reduce((s, e) => decider.evolve(s, toDomainEvent<Event>(e)), decider.initialState());
    const last = history.at(-1);
    const revision = options.revisionOf ? options.revisionOf(history) : (last?.revision ?? -1);
    if (ctx.expectedRevision !== undefined && revision !== ctx.expectedRevision) throw new PreconditionFailedError(stream, ctx.expectedRevision, revision);
    const decided = decider.decide(command, state);
    if (decided.length === 0) return { state, revision: last?.revision ?? -1, position: 0, stream: history, occurredAt: last?.metadata.occurred_at ?? null };
    // One command, one instant: every event it decides carries the same time.
    const occurredAt = deps.env.now().toISOString();
    const toAppend: NewEvent[] = decided.map((event, index) => {
      deps.schemas.validate(event.type, event.data);
      return {
        id: eventId(ctx, deps.env, stream, (last?.revision ?? -1) + 1 + index),
        type: event.type,
        tenant: ctx.tenant,
        data: event.data,
        metadata: metadataFor(ctx, command.type, origin, occurredAt, deps.schemas.currentVersion(event.type)),
      };
    });
    try {
      const appended = await deps.store.append(stream, toAppend, last ? last.revision : 'no_stream');
      const written = toAppend.length === 1 ? [{ ...(toAppend[0] as NewEvent), stream, revision: appended.revision, position: appended.position }] : null;
      return {
        state: decided.reduce(decider.evolve, state),
        ...appended,
        stream: written && (history.length === 0 ? written : [...history, ...written]),
        occurredAt,
      };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      // A revision the caller named is its decision to make again, not ours to retry.
      if (ctx.expectedRevision !== undefined && !options.revisionOf) throw new PreconditionFailedError(stream, ctx.expectedRevision, error.actual);
      if (attempt >= maxAttempts) throw new ConcurrencyConflictError(stream, attempt);
    }
  }
};

export const toDomainEvent = <Event extends DomainEvent>(recorded: RecordedEvent): Event => ({ type: recorded.type, data: recorded.data }) as Event;
