import type { Test } from 'tap';
import { replay, type Decider, type DomainEvent } from '../../domain/shared/decider.js';

/**
 * Given events / when command / then events or error, in the spirit of emmett's
 * `DeciderSpecification`. Each outcome is a tap test function, so one case reads:
 *
 * ```ts
 * const task = spec(taskDecider);
 * t.test('a queued task starts', task.given([submitted, queued]).when(start).then([started]));
 * t.test('...', task.given([]).when(start).thenThrows(NotFoundError));
 * ```
 *
 * The returned function is async so tap ends the subtest when it returns; to assert
 * inside an existing test, `await` it with that test: `await ...then([...])(t)`.
 */

/** A test function tap can run as a subtest. */
export type SpecCase = (t: Test) => Promise<void>;

/** Any error class, abstract ones included (e.g. `DomainError`). */
export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/**
 * What the thrown error must also satisfy: a RegExp for its message, an object pattern
 * for `t.match` (its values may be RegExps), or a predicate.
 */
export type ErrorMatcher<E extends Error> = RegExp | { readonly [K in keyof E]?: unknown } | ((error: E) => boolean);

export type Then<Event extends DomainEvent> = {
  /** The command is decided into exactly `expected`, in order. */
  readonly then: (expected: readonly Event[]) => SpecCase;
  /** The command is refused with an instance of `errorClass` that also satisfies `matcher`. */
  readonly thenThrows: <E extends Error>(errorClass: ErrorClass<E>, matcher?: ErrorMatcher<E>) => SpecCase;
};

export type When<Command, Event extends DomainEvent> = { readonly when: (command: Command) => Then<Event> };

export type Specification<Command, Event extends DomainEvent> = {
  readonly given: (events: readonly Event[]) => When<Command, Event>;
};

type Outcome<Event> = { readonly events: Event[] } | { readonly error: unknown };

const describe = (error: unknown): string => (error instanceof Error ? `${error.constructor.name}: ${error.message}` : `non-error ${JSON.stringify(error)}`);

export const spec = <Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>): Specification<Command, Event> => ({
  given: (history) => ({
    when: (command) => {
      // Replayed inside the test, so a history that does not fold is reported there.
      const decide = (): Outcome<Event> => {
        try {
          return { events: decider.decide(command, replay(decider, history)) };
        } catch (error) {
          return { error };
        }
      };
      return {
        then: (expected) => async (t) => {
          const outcome = decide();
          if ('error' in outcome) {
            t.fail(`expected ${expected.length} event(s), but decide threw ${describe(outcome.error)}`, { command, expected });
            return;
          }
          t.strictSame(outcome.events, expected, 'decides the expected events');
        },
        thenThrows: (errorClass, matcher) => async (t) => {
          const outcome = decide();
          if (!('error' in outcome)) {
            t.fail(`expected ${errorClass.name}, but decide returned ${JSON.stringify(outcome.events)}`, { command });
            return;
          }
          const { error } = outcome;
          if (!(error instanceof errorClass)) {
            t.fail(`expected ${errorClass.name}, but decide threw ${describe(error)}`, { command });
            return;
          }
          t.pass(`throws ${errorClass.name}: ${(error as Error).message}`);
          if (matcher === undefined) return;
          if (matcher instanceof RegExp) t.match((error as Error).message, matcher, 'error message matches');
          else if (typeof matcher === 'function') t.ok(matcher(error), 'error satisfies the predicate');
          else t.match(error, matcher, 'error matches the pattern');
        },
      };
    },
  }),
});
