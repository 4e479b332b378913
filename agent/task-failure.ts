/** How a task run ends badly, as reported to Bosun in `fail`. */
export class TaskFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'TaskFailure';
  }
}

/** Running the same input again cannot succeed. */
export const invalidInput = (message: string): TaskFailure => new TaskFailure('invalid_input', message, false);

export const inputObject = (input: unknown): Record<string, unknown> => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidInput('input must be a JSON object');
  return input as Record<string, unknown>;
};

export const requireString = (input: Record<string, unknown>, field: string): string => {
  const value = input[field];
  if (typeof value !== 'string') throw invalidInput(`${field} must be a string`);
  return value;
};
