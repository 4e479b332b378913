/**
 * Tamper evidence on the embedded store: a fleet's log is written through the API, Bosun
 * stops, and copies of its store are corrupted by editing the SQLite file directly. Each
 * time `audit verify` names the first event changed, removed, inserted or reordered; an
 * intact log verifies, also after a restart, and its signed seals with the right key only.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import type { Seal } from '../../events/audit-seal.js';
import { verifyLog, type AuditReport } from '../../events/audit-verify.js';
import type { EventMetadata } from '../../events/event-store.js';
import { eventHash } from '../../events/hash-chain.js';
import { sealsInLog } from '../../infra/audit-command.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { startTestBosun, type TestBosun } from '../api/harness.js';
import { cli, missingBuild } from '../api/process.js';

type Row = { position: number; stream: string; revision: number; id: string; type: string; tenant: string; data: string; metadata: string };

const root = mkdtempSync(join(tmpdir(), 'bosun-audit-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const keyPair = (name: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const files = { privateKey: join(root, `${name}.key.pem`), publicKey: join(root, `${name}.pub.pem`) };
  writeFileSync(files.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(files.publicKey, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, files };
};
const signing = keyPair('signing');
const stranger = keyPair('stranger');

/** Tasks submitted and cancelled, API keys issued, a second team: streams of several events, interleaved. */
const writeFleet = async (app: TestBosun, tasks: number): Promise<void> => {
  const ids: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { n: i } } });
    if (submitted.status !== 202) throw new Error(`task not submitted: ${JSON.stringify(submitted.body)}`);
    ids.push(submitted.body.id as string);
    if (i % 2 === 1) await app.call('POST', '/api/v1/api-keys', { body: { name: `key-${i}`, role: 'viewer' } });
  }
  await app.call('POST', '/api/v1/teams', { body: { name: 'other' } });
  for (const id of ids) await app.call('POST', `/api/v1/tasks/${id}/cancel`, { body: {} });
};

const dataDir = join(root, 'fleet');
let exportedSeals: Seal[] = [];

/** A copy of the fleet's store, to corrupt. */
const copyOfStore = (name: string): string => {
  const directory = join(root, name);
  mkdirSync(directory);
  for (const file of ['events.sqlite', 'events.sqlite-wal', 'events.sqlite-shm']) {
    if (existsSync(join(dataDir, file))) copyFileSync(join(dataDir, file), join(directory, file));
  }
  return directory;
};

const tamper = (directory: string, edit: (db: Database.Database, rows: Row[]) => void): void => {
  const db = new Database(join(directory, 'events.sqlite'));
  try {
    edit(db, db.prepare<[], Row>('SELECT * FROM events ORDER BY position').all());
  } finally {
    db.close();
  }
};

/** verify as a function, against the auditor's copy of the seals or the log's own. */
const verify = async (directory: string, seals: 'log' | 'auditor' = 'auditor'): Promise<AuditReport> => {
  const store = openEmbeddedEventStore({ directory });
  try {
    const list = seals === 'auditor' ? exportedSeals : await sealsInLog(store);
    return await verifyLog(store, { seals: { source: seals === 'auditor' ? 'file' : 'log', list }, publicKey: null });
  } finally {
    await store.close();
  }
};

type Run = { readonly code: number; readonly stdout: string; readonly stderr: string };
const auditCli = (directory: string, ...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, 'audit', ...args],
      { env: { ...process.env, BOSUN_DATA_DIR: directory, EVENTSTORE_URL: '', BOSUN_AUDIT_SIGNING_KEY: '' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });

/** Three consecutive events of one stream: the stream's events before, at and after a revision. */
const threeOfOneStream = (rows: readonly Row[]): [Row, Row, Row] => {
  const byStream = new Map<string, Row[]>();
  for (const row of rows) byStream.set(row.stream, [...(byStream.get(row.stream) ?? []), row]);
  const stream = [...byStream.values()].find((events) => events.length >= 3 && (events[2] as Row).position - (events[0] as Row).position > 2);
  if (!stream) throw new Error('the fleet has no stream of three events');
  return stream.slice(0, 3) as [Row, Row, Row];
};

/** A task's submission and its cancel, the cancel well after it. */
const submittedAndCancelled = (rows: readonly Row[]): [Row, Row] => {
  const submitted = rows.find((row) => row.type === 'task.submitted') as Row;
  return [submitted, rows.find((row) => row.stream === submitted.stream && row.revision === 1) as Row];
};

t.before(async () => {
  const app = await startTestBosun({ auditSealEvents: 4, auditSigningKey: signing.privateKey }, dataDir);
  await writeFleet(app, 12);
  await app.bosun.close();
  const store = openEmbeddedEventStore({ directory: dataDir });
  exportedSeals = await sealsInLog(store);
  await store.close();
});

t.test('an intact log verifies, with its seals signed by the configured key', async (t) => {
  const report = await verify(dataDir, 'log');
  t.match(report, { intact: true, problems: 0, first_problem: null, unchained: 0 });
  t.ok(report.seals.total >= 5 && report.seals.matched === report.seals.total, `every seal of the log matched (${report.seals.matched})`);
  t.ok(
    exportedSeals.every((seal) => seal.signature?.algorithm === 'ed25519'),
    'each seal is signed',
  );
});

t.test('the CLI checks signatures: the signing key passes, another key fails', { skip: missingBuild }, async (t) => {
  const sealsFile = join(root, 'seals.ndjson');
  const exported = await auditCli(dataDir, 'seals', '--out', sealsFile);
  t.equal(exported.code, 0, exported.stderr);
  const good = await auditCli(dataDir, 'verify', '--seals', sealsFile, '--public-key', signing.files.publicKey);
  t.equal(good.code, 0, 'exit 0: intact');
  t.match(JSON.parse(good.stdout), { intact: true, seals: { source: 'file', signatures: 'checked', matched: exportedSeals.length } });
  t.match(good.stderr, /audit verify: 100% \(position \d+ of \d+\)/, 'progress on stderr');

  const wrong = await auditCli(dataDir, 'verify', '--seals', sealsFile, '--public-key', stranger.files.publicKey);
  t.equal(wrong.code, 1, 'exit 1: not intact');
  t.match(JSON.parse(wrong.stdout), { intact: false, first_problem: { kind: 'bad_signature', detail: /not signed by the public key given/ } });

  const usage = await auditCli(dataDir, 'verify', '--public-key', join(root, 'missing.pem'));
  t.equal(usage.code, 2);
  t.match(usage.stderr, /--public-key must name a readable PEM file/);
});

t.test('an event whose data was edited is named as changed', async (t) => {
  const directory = copyOfStore('changed');
  const [, middle] = threeOfOneStream(await rowsOf(dataDir));
  tamper(directory, (db) => db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify({ forged: true }), middle.position));
  const report = await verify(directory);
  t.match(report.first_problem, { kind: 'changed', position: middle.position, stream: middle.stream, revision: middle.revision, event_id: middle.id });
  t.not(report.first_problem?.expected.hash, report.first_problem?.found.hash);
});

t.test('an event edited with its hash recomputed is named by the link of the next one', async (t) => {
  const directory = copyOfStore('changed-rehashed');
  const [, middle] = threeOfOneStream(await rowsOf(dataDir));
  tamper(directory, (db) => {
    const metadata = JSON.parse(middle.metadata) as EventMetadata;
    const data = { forged: true };
    const hash = eventHash({ ...middle, data, metadata });
    db.prepare('UPDATE events SET data = ?, metadata = ? WHERE position = ?').run(
      JSON.stringify(data),
      JSON.stringify({ ...metadata, chain: { prev: metadata.chain?.prev ?? null, hash } }),
      middle.position,
    );
  });
  t.match((await verify(directory)).first_problem, { kind: 'changed', position: middle.position, event_id: middle.id });
});

t.test('an event deleted from the middle of its stream is named as removed', async (t) => {
  const directory = copyOfStore('removed');
  const [submitted, cancelled] = submittedAndCancelled(await rowsOf(dataDir));
  tamper(directory, (db) => db.prepare('DELETE FROM events WHERE position = ?').run(submitted.position));
  t.match((await verify(directory)).first_problem, {
    kind: 'removed',
    position: cancelled.position,
    stream: submitted.stream,
    expected: { revision: 0 },
    found: { revision: 1 },
  });
});

t.test("the log's last events deleted: the seals the auditor kept name the removal", async (t) => {
  const directory = copyOfStore('truncated');
  const rows = await rowsOf(dataDir);
  const cut = (rows.at(-8) as Row).position;
  const firstCut = exportedSeals.find((seal) => seal.through_position >= cut) as Seal;
  tamper(directory, (db) => db.prepare('DELETE FROM events WHERE position >= ?').run(cut));
  const report = await verify(directory);
  t.match(report.first_problem, { kind: 'removed', event_id: firstCut.through_event_id, expected: { through_position: firstCut.through_position } });
  t.ok((report.first_problem?.position ?? 0) <= cut, 'named at or before the cut');
});

t.test('a forged event inserted with a recomputed hash is named as inserted', async (t) => {
  const directory = copyOfStore('inserted');
  const [before, at] = threeOfOneStream(await rowsOf(dataDir));
  const forged = {
    position: before.position + 1,
    stream: at.stream,
    revision: at.revision,
    id: 'forged-event',
    type: at.type,
    tenant: at.tenant,
    data: JSON.parse(at.data) as unknown,
  };
  const metadata = {
    ...(JSON.parse(at.metadata) as EventMetadata),
    chain: { prev: (JSON.parse(before.metadata) as EventMetadata).chain?.prev ?? null, hash: '' },
  };
  metadata.chain.prev = (JSON.parse(before.metadata) as EventMetadata).chain?.hash ?? null;
  metadata.chain.hash = eventHash({ ...forged, metadata });
  tamper(directory, (db) => {
    // Room for it: every later event moves up one position.
    db.prepare('UPDATE events SET position = -position - 1 WHERE position > ?').run(before.position);
    db.prepare('UPDATE events SET position = -position WHERE position < 0').run();
    db.prepare('INSERT INTO events (position, stream, revision, id, type, tenant, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      forged.position,
      forged.stream,
      forged.revision,
      forged.id,
      forged.type,
      forged.tenant,
      JSON.stringify(forged.data),
      JSON.stringify(metadata),
    );
  });
  t.match((await verify(directory)).first_problem, {
    kind: 'inserted',
    position: forged.position,
    stream: forged.stream,
    revision: forged.revision,
    event_id: 'forged-event',
  });
});

t.test('two events of one stream swapped are named as reordered', async (t) => {
  const directory = copyOfStore('swapped-in-stream');
  const [first, second] = threeOfOneStream(await rowsOf(dataDir));
  tamper(directory, (db) => swap(db, first.position, second.position));
  t.match((await verify(directory)).first_problem, {
    kind: 'reordered',
    position: first.position,
    stream: first.stream,
    revision: second.revision,
    event_id: second.id,
    expected: { revision: first.revision },
  });
});

t.test("two events of different streams swapped: the first event put before its stream's previous one is named", async (t) => {
  const directory = copyOfStore('swapped-across');
  const rows = await rowsOf(dataDir);
  const [submitted, cancelled] = submittedAndCancelled(rows);
  // Another task's cancel, moved to where the first task was submitted: before its own submission.
  const other = rows.find((row) => row.position > cancelled.position && row.type === 'task.cancelled') as Row;
  tamper(directory, (db) => swap(db, submitted.position, other.position));
  t.match((await verify(directory)).first_problem, {
    kind: 'reordered',
    position: submitted.position,
    stream: other.stream,
    revision: 1,
    event_id: other.id,
    expected: { revision: 0 },
  });
});

t.test('two neighbouring events of different streams swapped: only the seals see it, and name the stretch', async (t) => {
  const directory = copyOfStore('swapped-neighbours');
  const rows = await rowsOf(dataDir);
  const firstSeal = exportedSeals[0] as Seal;
  const index = rows.findIndex(
    (row, i) => i > 0 && row.position > firstSeal.through_position && rows[i + 1] !== undefined && rows[i + 1]?.stream !== row.stream,
  );
  const [a, b] = [rows[index] as Row, rows[index + 1] as Row];
  tamper(directory, (db) => swap(db, a.position, b.position));
  const report = await verify(directory);
  t.match(report.first_problem, { kind: 'reordered', stream: null });
  const sealed = exportedSeals.find((seal) => seal.through_position >= b.position) as Seal;
  t.ok(
    (report.first_problem?.position ?? 0) <= a.position && report.first_problem?.expected.through_position === sealed.through_position,
    'the stretch named holds the swapped events',
  );
});

t.test('after a restart the chain goes on and the log still verifies', async (t) => {
  const directory = copyOfStore('restarted');
  const app = await startTestBosun({ auditSealEvents: 4, auditSigningKey: signing.privateKey }, directory);
  await writeFleet(app, 4);
  await app.bosun.close();
  const report = await verify(directory, 'log');
  t.match(report, { intact: true, problems: 0 });
  t.ok(report.seals.matched > exportedSeals.length, 'the seals written after the restart matched too');
});

const rowsOf = async (directory: string): Promise<Row[]> => {
  const db = new Database(join(directory, 'events.sqlite'), { readonly: true });
  try {
    return db.prepare<[], Row>('SELECT * FROM events ORDER BY position').all();
  } finally {
    db.close();
  }
};

const swap = (db: Database.Database, a: number, b: number): void => {
  const move = db.prepare('UPDATE events SET position = ? WHERE position = ?');
  db.transaction(() => {
    move.run(-1, a);
    move.run(a, b);
    move.run(b, -1);
  })();
};
