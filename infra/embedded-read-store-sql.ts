/**
 * The embedded read store's SQL: one table per collection, documents as JSON text beside
 * the columns every document has, and the filters and indexes over its top-level fields.
 *
 * A filtered field is compared as JSON text (`doc -> '$.field'`, the same text
 * `JSON.stringify` makes of the filter's value), so the number 1, the string "1" and
 * `true` are three different values, and `null` matches an explicit null only, not a
 * missing field. SQLite returns a value's JSON text exactly as stored, so both sides agree.
 */
import type { Filter, ReadDocument } from '../projections/read-store.js';

/** Fields every document has, stored as columns of their own rather than only in its JSON. */
const columnTypes = { id: 'string', tenant: 'string', seq: 'number' } as const;
type Column = keyof typeof columnTypes;
const isColumn = (field: string): field is Column => Object.hasOwn(columnTypes, field);

/** The version of this layout, in `PRAGMA user_version`; a newer file is refused rather than misread. */
export const layoutVersion = 1;

/** How the owner of the file sets up its connection, in this order (page size first: it applies to a new file only). */
export const writerPragmas = [
  // With checkpoints 40 MB apart, 4, 8 and 16 KiB pages committed alike (45-60k documents
  // of 1 KB/s at 200,000 documents); 8 KiB pages hold several such documents whole.
  'page_size = 8192',
  'journal_mode = WAL',
  // NORMAL, not FULL: a commit is in the WAL when it returns, so a kill -9 loses nothing
  // and a transaction is never half there; only a power cut can lose the last commits,
  // documents and checkpoints together (they share each transaction). Read models are
  // derived: the projectors then apply those events again from the older checkpoint.
  'synchronous = NORMAL',
  // Checkpoints every 40 MB of WAL rather than 4 MB: an index page changed by many commits
  // is copied into the file once per checkpoint, and each checkpoint syncs. Measured with
  // 4 KiB pages, 50,000 documents of 1 KB in commits of 500: 34-51k -> 58-75k documents/s.
  'wal_autocheckpoint = 5000',
  // Trims the WAL file back after a checkpoint that let it grow past its usual size.
  'journal_size_limit = 67108864',
  'cache_size = -65536',
] as const;

export const checkpointsTable = 'read_checkpoints';

export const schema = `
  CREATE TABLE IF NOT EXISTS ${checkpointsTable} (
    name       TEXT PRIMARY KEY,
    checkpoint TEXT NOT NULL
  ) WITHOUT ROWID;
`;

const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The table's name as stored in the schema; prefixed so that no collection name can be a reserved or internal one. */
export const tableName = (collection: string): string => `collection_${collection}`;
export const table = (collection: string): string => quoteIdentifier(tableName(collection));

/**
 * A rowid table with a unique index on `id`, rather than `id` as a WITHOUT ROWID key: those
 * store whole rows in interior pages too, which 1 KB documents would make deep and slow.
 * Every table gets an index on `seq` alone, for the lists no other index serves: all of a
 * collection newest first, page by page, as a rebuild's verification walks it.
 */
export const createTable = (collection: string, indexSuffix: string): string => `
  CREATE TABLE ${table(collection)} (
    id     TEXT    NOT NULL UNIQUE,
    tenant TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    doc    TEXT    NOT NULL
  );
  ${createIndex(collection, [], indexSuffix)};`;

const plainField = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The SQL expression of a top-level field: its column, or its JSON text. */
const fieldExpression = (field: string): string => {
  if (isColumn(field)) return field;
  if (plainField.test(field)) return `doc -> '$.${field}'`;
  // SQLite reads a quoted path label up to the next double quote; it has no escape for one.
  if (/["\0]/.test(field)) throw new Error(`field ${JSON.stringify(field)} cannot be filtered on or indexed: its name has a double quote or a NUL`);
  return `doc -> '$."${field.replaceAll("'", "''")}"'`;
};

/**
 * Index names are global in a SQLite file and survive a table's rename, so they carry the
 * fields (to recognise an existing index) and a random suffix (to stay unique after a
 * `replace` renamed a scratch table, whose indexes keep their names, to the target).
 */
export const indexNamePrefix = (fields: readonly string[]): string => `ix${JSON.stringify(fields)}#`;

export const createIndex = (collection: string, fields: readonly string[], suffix: string): string =>
  `CREATE INDEX ${quoteIdentifier(indexNamePrefix(fields) + suffix)} ON ${table(collection)} (${[...fields.map(fieldExpression), 'seq DESC'].join(', ')})`;

export const upsertDocument = (collection: string): string =>
  `INSERT INTO ${table(collection)} (id, tenant, seq, doc) VALUES (?, ?, ?, ?)
   ON CONFLICT (id) DO UPDATE SET tenant = excluded.tenant, seq = excluded.seq, doc = excluded.doc`;

export const getDocument = (collection: string): string => `SELECT doc FROM ${table(collection)} WHERE id = ?`;

const where = (fields: readonly string[], before: boolean): string => {
  const conditions = fields.map((field) => `${fieldExpression(field)} = ?`);
  if (before) conditions.push('seq < ?');
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
};

/** Parameters: the filter's values in `fields` order, then `before` if `before`, then the limit. */
export const listDocuments = (collection: string, fields: readonly string[], before: boolean): string =>
  `SELECT doc FROM ${table(collection)}${where(fields, before)} ORDER BY seq DESC LIMIT ?`;

export const countDocuments = (collection: string, fields: readonly string[]): string => `SELECT count(*) FROM ${table(collection)}${where(fields, false)}`;

/** A filter's fields, in its order (undefined values filter nothing), and the values to bind for them. */
export type BoundFilter = { readonly fields: string[]; readonly values: unknown[]; readonly shape: string };

/**
 * Binds a filter, or answers null when no document can match it: a column compared with a
 * value of another type (SQLite's column affinity would turn the number 1 into the text "1").
 */
export const bindFilter = <D extends ReadDocument>(filter: Filter<D>): BoundFilter | null => {
  const fields: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    // Refused here too, not only when a statement is built: the shape below joins fields with NUL.
    if (field.includes('\0')) throw new Error(`field ${JSON.stringify(field)} cannot be filtered on: its name has a NUL`);
    if (isColumn(field)) {
      if (typeof value !== columnTypes[field]) return null;
      values.push(value);
    } else values.push(JSON.stringify(value));
    fields.push(field);
  }
  return { fields, values, shape: fields.join('\0') };
};
