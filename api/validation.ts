import addFormats from 'ajv-formats';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ApiError } from './errors.js';

const ajv = new Ajv2020({ allErrors: false, strict: true, coerceTypes: false });
addFormats.default(ajv);

const fieldOf = (error: ErrorObject): string => {
  const path = error.instancePath.slice(1).replaceAll('/', '.');
  const child =
    error.keyword === 'required'
      ? (error.params as { missingProperty: string }).missingProperty
      : error.keyword === 'additionalProperties'
        ? (error.params as { additionalProperty: string }).additionalProperty
        : '';
  return [path, child].filter(Boolean).join('.') || '(body)';
};

const describe = (error: ErrorObject, field: string): string => {
  if (error.keyword === 'required') return `${field} is required`;
  if (error.keyword === 'additionalProperties') return `${field} is not a known field`;
  return `${field} ${error.message ?? 'is invalid'}`;
};

/** Compiles a JSON Schema into a guard that throws a 400 naming the offending field. */
export const validator = <T>(schema: object): ((value: unknown) => T) => {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value) => {
    if (validate(value)) return value as T;
    const [error] = validate.errors ?? [];
    if (!error) throw new ApiError('invalid_request_error', 'invalid_request', 'request is invalid');
    const field = fieldOf(error);
    throw new ApiError('invalid_request_error', error.keyword === 'additionalProperties' ? 'unknown_field' : 'invalid_field', describe(error, field), {
      param: field,
    });
  };
};
