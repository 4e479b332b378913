import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import addFormats from 'ajv-formats';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { projectRoot } from '../infra/project-root.js';

/**
 * The published JSON Schemas of event payloads, one file per type and version under
 * `domain/<aggregate>/schemas/<type>.v<N>.json`. Appends are validated against the
 * newest version, so nothing malformed is ever stored.
 */
export type EventSchemaRegistry = {
  /** Newest schema version of `type`; throws for an unknown type. */
  readonly currentVersion: (type: string) => number;
  /** Throws InvalidEventError naming the offending field when `data` does not match. */
  readonly validate: (type: string, data: unknown) => void;
  /** Every schema, for publication. */
  readonly schemas: () => { type: string; version: number; schema: object }[];
};

export class InvalidEventError extends Error {
  readonly code = 'invalid_event';
  constructor(
    readonly eventType: string,
    readonly details: string,
  ) {
    super(`event ${eventType} does not match its schema: ${details}`);
  }
}

const schemaFile = /^(?<type>[a-z_]+\.[a-z_]+)\.v(?<version>\d+)\.json$/;

export const loadEventSchemas = (domainDir = join(projectRoot(), 'domain')): EventSchemaRegistry => {
  const ajv = new Ajv2020({ allErrors: false, strict: true });
  addFormats.default(ajv);
  const entries: { type: string; version: number; schema: object; validate: ValidateFunction }[] = [];
  for (const aggregate of readdirSync(domainDir)) {
    const dir = join(domainDir, aggregate, 'schemas');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const match = schemaFile.exec(file);
      if (!match?.groups) continue;
      const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as object;
      entries.push({
        type: match.groups.type as string,
        version: Number(match.groups.version),
        schema,
        validate: ajv.compile(schema),
      });
    }
  }
  const newest = new Map<string, (typeof entries)[number]>();
  for (const entry of entries) {
    const known = newest.get(entry.type);
    if (!known || known.version < entry.version) newest.set(entry.type, entry);
  }
  const lookup = (type: string) => {
    const entry = newest.get(type);
    if (!entry) throw new InvalidEventError(type, 'no schema is published for this event type');
    return entry;
  };
  return {
    currentVersion: (type) => lookup(type).version,
    validate: (type, data) => {
      const { validate } = lookup(type);
      if (validate(data)) return;
      const [error] = validate.errors ?? [];
      throw new InvalidEventError(type, `${error?.instancePath || '/'} ${error?.message ?? 'is invalid'}`);
    },
    schemas: () => entries.map(({ type, version, schema }) => ({ type, version, schema })),
  };
};
