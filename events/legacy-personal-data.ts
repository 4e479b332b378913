import type { EventStore, RecordedEvent } from './event-store.js';

/** Turns a value written in the clear before personal data was sealed into an erasable token of its subject. */
export type LegacyTokens = {
  readonly legacyToken: (tenant: string, subject: string, value: string) => string;
  readonly isErasableToken: (value: unknown) => boolean;
};

/**
 * Reads through `store` see the client IP and user agent that events recorded in the clear
 * (before they were sealed) as `v0` erasable tokens of the key that made the request, so
 * that an erasure hides them as it does sealed ones. The stored bytes stay as written.
 */
export const withLegacyPersonalData = (
  store: EventStore,
  tokens: LegacyTokens,
  subjectOf: (actor: RecordedEvent['metadata']['actor']) => string | null,
): EventStore => {
  const upcast = (event: RecordedEvent): RecordedEvent => {
    const { client_ip, user_agent, actor } = event.metadata;
    const legacyIp = typeof client_ip === 'string' && !tokens.isErasableToken(client_ip);
    const legacyAgent = typeof user_agent === 'string' && !tokens.isErasableToken(user_agent);
    if (!legacyIp && !legacyAgent) return event;
    const subject = subjectOf(actor);
    if (subject === null) return event;
    return {
      ...event,
      metadata: {
        ...event.metadata,
        client_ip: legacyIp ? tokens.legacyToken(event.tenant, subject, client_ip) : client_ip,
        user_agent: legacyAgent ? tokens.legacyToken(event.tenant, subject, user_agent) : user_agent,
      },
    };
  };
  return {
    append: (stream, events, expected) => store.append(stream, events, expected),
    readStream: async (stream, options) => (await store.readStream(stream, options)).map(upcast),
    readAll: async (options) => (await store.readAll(options)).map(upcast),
    headPosition: () => store.headPosition(),
    subscribe: (after, handlers) => store.subscribe(after, { ...handlers, onEvent: (event) => handlers.onEvent(upcast(event)) }),
    close: () => store.close(),
  };
};
