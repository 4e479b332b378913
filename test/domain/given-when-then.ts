import type { Test } from 'tap';
import type { Decider, DomainEvent } from '../../domain/shared/decider.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Decider specifications in the given / when / then form:
 * `given(events).when(command).then(events)` or `.thenThrows(ErrorClass, /message/)`.
 */
export const specify =
  <Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>) =>
  (t: Test) => ({
    given: (history: readonly Event[]) => ({
      when: (command: Command) => {
        const decide = () => decider.decide(command, history.reduce(decider.evolve, decider.initialState()));
        return {
          then: (expected: readonly Event[], message = 'decides the expected events') => t.same(decide(), expected, message),
          thenThrows: (errorClass: ErrorClass, pattern?: RegExp, message = `refuses with ${errorClass.name}`) => {
            try {
              decide();
              t.fail(message);
            } catch (error) {
              t.type(error, errorClass, message);
              if (pattern) t.match((error as Error).message, pattern, message);
            }
          },
        };
      },
    }),
  });
