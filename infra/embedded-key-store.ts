/**
 * The key store in the data directory: one SQLite file, `keys.sqlite`, beside the log. It
 * is as precious as the log (without it, sealed values stay sealed) and is backed up with it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { KeyStore } from '../commands/data-keys.js';

const schema = `
  CREATE TABLE IF NOT EXISTS data_keys (
    tenant     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    wrapped    BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, subject)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS erased_subjects (
    tenant    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    erased_at TEXT NOT NULL,
    PRIMARY KEY (tenant, subject)
  ) WITHOUT ROWID;
`;

export const openEmbeddedKeyStore = (file: string): KeyStore => {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 1000 });
  // A deleted key must be gone from the file, not only unlinked from its page.
  db.pragma('secure_delete = ON');
  db.pragma('journal_mode = WAL');
  db.exec(schema);
  const select = db.prepare<[string, string], Buffer>('SELECT wrapped FROM data_keys WHERE tenant = ? AND subject = ?').pluck();
  const insert = db.prepare<[string, string, Buffer, string]>('INSERT OR IGNORE INTO data_keys (tenant, subject, wrapped, created_at) VALUES (?, ?, ?, ?)');
  const remove = db.prepare<[string, string]>('DELETE FROM data_keys WHERE tenant = ? AND subject = ?');
  const tombstone = db.prepare<[string, string, string]>('INSERT OR IGNORE INTO erased_subjects (tenant, subject, erased_at) VALUES (?, ?, ?)');
  const erased = db.prepare<[string, string], number>('SELECT 1 FROM erased_subjects WHERE tenant = ? AND subject = ?').pluck();
  const putIfAbsent = db.transaction((tenant: string, subject: string, wrapped: Buffer): Buffer | null => {
    if (erased.get(tenant, subject) !== undefined) return null;
    insert.run(tenant, subject, wrapped, new Date().toISOString());
    return select.get(tenant, subject) as Buffer;
  });
  const erase = db.transaction((tenant: string, subject: string): boolean => {
    tombstone.run(tenant, subject, new Date().toISOString());
    return remove.run(tenant, subject).changes > 0;
  });
  return {
    get: async (tenant, subject) => select.get(tenant, subject) ?? null,
    putIfAbsent: async (tenant, subject, wrapped) => putIfAbsent(tenant, subject, wrapped),
    erase: async (tenant, subject) => {
      const deleted = erase(tenant, subject);
      // The WAL still holds the row's last image until a checkpoint moves it into the file, where secure_delete zeroes it.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return deleted;
    },
    isErased: async (tenant, subject) => erased.get(tenant, subject) !== undefined,
    close: async () => {
      db.close();
    },
  };
};
