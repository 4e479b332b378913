import type { Test } from 'tap';
import { loadEventSchemas } from '../../events/event-schemas.js';
import type { NewEvent, RecordedEvent } from '../../events/event-store.js';
import type { Config } from '../../infra/config.js';
import { uuidv7 } from '../../infra/ids.js';
import type { SpecCase } from '../domain/decider-specification.js';
import { testMetadata } from '../events/event-metadata.js';
import { startTestBosun, type Call, type TestBosun } from './harness.js';

/**
 * API specifications: GIVEN events already in the log, WHEN one HTTP request, THEN its
 * answer and exactly the events it appended. One case reads:
 *
 * ```ts
 * const api = await apiSpecification(t);
 * t.test('...', api.given([{ stream, type, data }]).when('POST', path, { body }).then({ status: 200, events: [...] }));
 * ```
 *
 * Every case acts in one team the specification creates, as that team's admin key; cases
 * run one after another on one Bosun, so each must use streams of its own.
 */

/** A domain event placed in a stream: what GIVEN appends (at `occurred_at`, if given) and THEN expects. */
export type StreamEvent = { readonly stream: string; readonly type: string; readonly data: unknown; readonly occurred_at?: string };

/** `key` calls as another key than the team's admin key (another team's, say). */
export type Request = { readonly body?: unknown; readonly headers?: Record<string, string>; readonly key?: string };

export type Expected = {
  readonly status: number;
  /** A `t.match` pattern for the answer's body. */
  readonly body?: unknown;
  /** Headers the answer must carry, with these values. */
  readonly headers?: Record<string, string>;
  /** The events the request appended, in log order; a function when they hold values only the answer tells (a new id). */
  readonly events: readonly StreamEvent[] | ((answer: Call) => readonly StreamEvent[]);
};

export type ApiSpecification = {
  readonly app: TestBosun;
  /** The team every case acts in. */
  readonly tenant: string;
  readonly given: (events: readonly StreamEvent[]) => {
    /** `path` may be made of the log positions the GIVEN's events were appended at, in their order. */
    readonly when: (
      method: string,
      path: string | ((positions: readonly number[]) => string),
      request?: Request,
    ) => { readonly then: (expected: Expected) => SpecCase };
  };
};

const schemas = loadEventSchemas();

/** Starts Bosun (on `config` over the test defaults) and creates the team, both stopped when `t` ends. */
export const apiSpecification = async (t: Test, config: Partial<Config> = {}): Promise<ApiSpecification> => {
  const app = await startTestBosun(config);
  t.teardown(app.stop);
  const created = await app.call('POST', '/api/v1/teams', { body: { name: 'specified' } });
  if (created.status !== 201) throw new Error(`team not created: ${JSON.stringify(created.body)}`);
  const tenant = created.body.id as string;
  const key = created.body.admin_key.key as string;
  const keyId = created.body.admin_key.id as string;

  /**
   * Appended through the store port as the team's, each stream at the revision it has.
   * Validated like the command handler's appends, so a GIVEN cannot hold what Bosun never stores.
   */
  const append = async (events: readonly StreamEvent[]): Promise<number[]> => {
    const positions: number[] = [];
    let position = await app.bosun.events.headPosition();
    for (const { stream, type, data, occurred_at } of events) {
      schemas.validate(type, data);
      const metadata = { ...testMetadata(), ...(occurred_at ? { occurred_at } : {}), schema_version: schemas.currentVersion(type) };
      const event: NewEvent = { id: uuidv7(), type, tenant, data, metadata };
      const last = (await app.bosun.events.readStream(stream)).at(-1);
      ({ position } = await app.bosun.events.append(stream, [event], last ? last.revision : 'no_stream'));
      positions.push(position);
    }
    // Already there means in the read models too: routes that read them see the GIVEN.
    if (!(await app.bosun.readSide.waitFor(position, 10_000))) throw new Error(`read models did not reach position ${position}`);
    return positions;
  };

  /** Everything in the log after `position`. */
  const appendedAfter = async (position: number): Promise<RecordedEvent[]> => {
    const all: RecordedEvent[] = [];
    for (
      let page = await app.bosun.events.readAll({ after: position });
      page.length > 0;
      page = await app.bosun.events.readAll({ after: all.at(-1)?.position ?? position })
    ) {
      all.push(...page);
    }
    return all;
  };

  return {
    app,
    tenant,
    given: (history) => ({
      when: (method, path, request = {}) => ({
        then: (expected) => async (t) => {
          const positions = await append(history);
          const head = await app.bosun.events.headPosition();
          const answer = await app.call(method, typeof path === 'string' ? path : path(positions), { ...request, key: request.key ?? key });
          t.equal(answer.status, expected.status, `answers ${expected.status}`, { body: answer.body });
          if (expected.body !== undefined) t.match(answer.body, expected.body, 'the answer');
          for (const [name, value] of Object.entries(expected.headers ?? {})) t.equal(answer.headers.get(name), value, `${name}: ${value}`);
          const appended = await appendedAfter(head);
          const events = typeof expected.events === 'function' ? expected.events(answer) : expected.events;
          t.strictSame(
            appended.map(({ stream, type, data }) => ({ stream, type, data })),
            events,
            'appends exactly the expected events',
          );
          for (const event of appended) {
            t.match(
              { tenant: event.tenant, actor: event.metadata.actor, request_id: event.metadata.request_id },
              { tenant, actor: { type: 'api_key', id: keyId }, request_id: answer.headers.get('x-request-id') },
              `${event.type} is the team's, caused by this request`,
            );
          }
        },
      }),
    }),
  };
};
