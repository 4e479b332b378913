/**
 * The embedded read store's SQL: one table per collection, documents as JSON text beside
 * the columns every document has, and the filters and indexes over its top-level fields.
 *
 * A filtered field is compared as JSON text (`doc -> '$.field'`, the same text
 * `JSON.stringify` makes of the filter's value), so the number 1, the string "1" and
 * `true` are three different values, and `null` matches an explicit null only, not a
 * missing field. SQLite returns a value's JSON text exactly as stored, so both sides agree.
 * Ranges, substrings and sorts compare the field's SQL value (`doc ->> '$.field'`), and only
 * values of the bound's own type, as MongoDB does.
 */
import { foldAscii, type FieldCondition } from '../projections/read-query.js';
import type { Page } from '../projections/read-store.js';

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

/** The JSON path of a top-level field, as an SQL string literal. */
const jsonPath = (field: string): string => {
  if (plainField.test(field)) return `'$.${field}'`;
  // SQLite reads a quoted path label up to the next double quote; it has no escape for one.
  if (/["\0]/.test(field)) throw new Error(`field ${JSON.stringify(field)} cannot be filtered on or indexed: its name has a double quote or a NUL`);
  return `'$."${field.replaceAll("'", "''")}"'`;
};

/** The SQL expression of a top-level field: its column, or its JSON text (what equality and indexes use). */
const fieldExpression = (field: string): string => (isColumn(field) ? field : `doc -> ${jsonPath(field)}`);

/** The field's SQL value (a number or text), for ranges, substrings and sorting. */
const valueExpression = (field: string): string => (isColumn(field) ? field : `doc ->> ${jsonPath(field)}`);

/** A bound's type checked against the field's, as MongoDB compares only values of one type. */
const typeIs = (field: string, type: 'string' | 'number'): string =>
  `json_type(doc, ${jsonPath(field)}) ${type === 'string' ? "= 'text'" : "IN ('integer', 'real')"}`;

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

/** A filter bound for SQLite: the conditions of its WHERE, their values in order, and a shape naming the statement. */
export type BoundFilter = { readonly clauses: readonly string[]; readonly values: readonly unknown[]; readonly shape: string };

type Bound = { clauses: string[]; values: unknown[]; shape: string } | null;

/** Binds one condition; null when no document can match it (a column compared with a value of another type). */
const bindCondition = ({ field, condition }: FieldCondition): Bound => {
  const column = isColumn(field) ? columnTypes[field] : null;
  const text = (value: unknown) => (column ? value : JSON.stringify(value));
  switch (condition.op) {
    case 'eq':
      // SQLite's column affinity would turn the number 1 into the text "1": refused here.
      if (column && typeof condition.value !== column) return null;
      return { clauses: [`${fieldExpression(field)} = ?`], values: [text(condition.value)], shape: 'eq' };
    case 'in': {
      const values = column ? condition.values.filter((value) => typeof value === column) : condition.values;
      if (values.length === 0) return null;
      return { clauses: [`${fieldExpression(field)} IN (${values.map(() => '?').join(', ')})`], values: values.map(text), shape: `in${values.length}` };
    }
    case 'range': {
      const type = typeof (condition.gte ?? condition.lt) as 'string' | 'number';
      if (column && type !== column) return null;
      const clauses = column ? [] : [typeIs(field, type)];
      const values: unknown[] = [];
      if (condition.gte !== undefined) {
        clauses.push(`${valueExpression(field)} >= ?`);
        values.push(condition.gte);
      }
      if (condition.lt !== undefined) {
        clauses.push(`${valueExpression(field)} < ?`);
        values.push(condition.lt);
      }
      return { clauses, values, shape: `range${condition.gte !== undefined ? 'g' : ''}${condition.lt !== undefined ? 'l' : ''}` };
    }
    case 'contains':
      if (column && column !== 'string') return null;
      return {
        clauses: [...(column ? [] : [typeIs(field, 'string')]), `instr(lower(${valueExpression(field)}), ?) > 0`],
        values: [foldAscii(condition.term)],
        shape: 'contains',
      };
    case 'has': {
      if (column) return null;
      const type = typeof condition.value === 'string' ? "= 'text'" : "IN ('integer', 'real')";
      return {
        clauses: [
          `json_type(doc, ${jsonPath(field)}) = 'array'`,
          `EXISTS (SELECT 1 FROM json_each(doc, ${jsonPath(field)}) AS element WHERE element.value = ? AND element.type ${type})`,
        ],
        values: [condition.value],
        shape: `has${typeof condition.value}`,
      };
    }
  }
};

/** Binds a filter's conditions, or answers null when no document can match them. */
export const bindFilter = (conditions: readonly FieldCondition[]): BoundFilter | null => {
  const clauses: string[] = [];
  const values: unknown[] = [];
  const shapes: string[] = [];
  for (const condition of conditions) {
    const bound = bindCondition(condition);
    if (!bound) return null;
    clauses.push(...bound.clauses);
    values.push(...bound.values);
    shapes.push(`${condition.field}\x01${bound.shape}`);
  }
  return { clauses, values, shape: shapes.join('\0') };
};

const whereOf = (clauses: readonly string[]): string => (clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`);

/** The statement of a list and the values to bind after the filter's: the page's position, then the limit. */
export const listDocuments = (collection: string, filter: BoundFilter, page: Page): { sql: string; values: unknown[]; shape: string } => {
  const clauses = [...filter.clauses];
  const values: unknown[] = [];
  let order = 'seq DESC';
  let shape = filter.shape;
  if (page.before !== undefined) {
    clauses.push('seq < ?');
    values.push(page.before);
    shape += '\x02before';
  }
  if (page.sort) {
    const value = valueExpression(page.sort.field);
    const direction = page.sort.order === 'asc' ? 'ASC' : 'DESC';
    order = `${value} ${direction}, seq DESC`;
    shape += `\x02sort\x01${page.sort.field}\x01${direction}`;
    if (page.after) {
      clauses.push(`(${value} ${page.sort.order === 'asc' ? '>' : '<'} ? OR (${value} = ? AND seq < ?))`);
      values.push(page.after.value, page.after.value, page.after.seq);
      shape += '\x01after';
    }
  }
  values.push(page.limit);
  return { sql: `SELECT doc FROM ${table(collection)}${whereOf(clauses)} ORDER BY ${order} LIMIT ?`, values, shape };
};

export const countDocuments = (collection: string, filter: BoundFilter): string => `SELECT count(*) FROM ${table(collection)}${whereOf(filter.clauses)}`;
