/** A domain event before it is stored: a past-tense fact with its payload. */
export type DomainEvent<Type extends string = string, Data = unknown> = {
  readonly type: Type;
  readonly data: Data;
};

/**
 * An aggregate as a decider: `decide` turns a command into new events (or throws a
 * DomainError), `evolve` folds one event into the state. Both are pure.
 */
export type Decider<Command, Event extends DomainEvent, State> = {
  readonly decide: (command: Command, state: State) => Event[];
  readonly evolve: (state: State, event: Event) => State;
  readonly initialState: () => State;
};

/** Folds a history into the state it leads to. */
export const replay = <Command, Event extends DomainEvent, State>(decider: Decider<Command, Event, State>, events: readonly Event[]): State =>
  events.reduce(decider.evolve, decider.initialState());

/** Compile-time guard that a switch handled every variant. */
export const assertNever = (value: never): never => {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
};
