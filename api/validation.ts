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

/** A guard that throws a 400 naming the offending field, under `prefix` when the value is one field of the request. */
const guard =
  <T>(validate: ValidateFunction, prefix = ''): ((value: unknown) => T) =>
  (value) => {
    if (validate(value)) return value as T;
    const [error] = validate.errors ?? [];
    if (!error) throw new ApiError('invalid_request_error', 'invalid_request', 'request is invalid');
    const inner = fieldOf(error);
    const field = prefix ? (inner === '(body)' ? prefix : `${prefix}.${inner}`) : inner;
    throw new ApiError('invalid_request_error', error.keyword === 'additionalProperties' ? 'unknown_field' : 'invalid_field', describe(error, field), {
      param: field,
    });
  };

/** Compiles a JSON Schema into a guard that throws a 400 naming the offending field. */
export const validator = <T>(schema: object): ((value: unknown) => T) => guard<T>(ajv.compile(schema));

/**
 * A JSON Schema a client sent (a skill's parameters) as a guard for the request field
 * `field`; a 400 naming `schemaField` when it is not a valid schema. Compiled by an Ajv of
 * its own each time: clients' `$id`s must not meet one another (or ours) in one registry,
 * nor their schemas pile up in its cache.
 */
export const clientSchemaValidator = (schema: object, schemaField: string, field: string): ((value: unknown) => unknown) => {
  const own = new Ajv2020({ allErrors: false, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false, coerceTypes: false });
  addFormats.default(own);
  const refuse = (why: string) =>
    new ApiError('invalid_request_error', 'invalid_schema', `${schemaField} is not a valid JSON Schema: ${why}`, { param: schemaField });
  if (!own.validateSchema(schema)) throw refuse(own.errorsText(own.errors, { dataVar: schemaField }));
  try {
    return guard(own.compile(schema), field);
  } catch (error) {
    throw refuse(error instanceof Error ? error.message : String(error));
  }
};
