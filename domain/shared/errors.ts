/** Base of every rule the domain refuses. `code` is stable and machine-readable. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

/** The command is not allowed in the aggregate's current state. */
export class IllegalTransitionError extends DomainError {
  readonly code = 'illegal_transition';
  constructor(
    readonly aggregate: string,
    readonly state: string,
    readonly action: string,
  ) {
    super(`cannot ${action} ${/^[aeiou]/.test(aggregate) ? 'an' : 'a'} ${aggregate} that is ${state}`);
  }
}

/** The aggregate does not exist (yet), so the command has nothing to act on. */
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  constructor(readonly aggregate: string) {
    super(`${aggregate} does not exist`);
  }
}

/** The command is well-formed but breaks a business rule (named in `field` when it is one). */
export class RuleViolationError extends DomainError {
  constructor(
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The command contradicts what is already recorded and may not replace it (HTTP 409). */
export class ConflictError extends DomainError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
