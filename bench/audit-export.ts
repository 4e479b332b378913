/**
 * The audit log's export over HTTP beside the firehose of the same server in the same run:
 * a log of task histories is appended straight to a fresh embedded store as the system
 * team's, `bosun serve` projects it, then `GET /api/v1/events` (NDJSON, to the head) and
 * `GET /api/v1/audit-logs/export` (NDJSON, then CSV) are each read to the end, in
 * alternating rounds. Figures are MB/s of body received, and records/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEmbeddedEventStore } from '../infra/embedded-event-store.js';
import { seedTaskLog } from './read-side.js';
import { startServer, systemTeamOf } from './server-process.js';
import { median } from './statistics.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli.js');
const key = 'bench-admin-key-0123456789abcdef';
const progress = (fields: object) => process.stderr.write(`${JSON.stringify({ bench: 'audit-export', ...fields })}\n`);

type Download = { readonly bytes: number; readonly lines: number; readonly seconds: number };

/** Reads a response to its end, counting bytes and line ends; never holds the body. */
const download = (agent: Agent, url: string, accept: string): Promise<Download> =>
  new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const sent = request(url, { headers: { authorization: `Bearer ${key}`, accept }, agent }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url} answered ${response.statusCode}`));
      let bytes = 0;
      let lines = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) lines++;
      });
      response.on('end', () => resolve({ bytes, lines, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });

const summary = (runs: readonly Download[]) => {
  const rates = runs.map((run) => run.bytes / 1e6 / run.seconds);
  const [first] = runs;
  return {
    mb: +((first?.bytes ?? 0) / 1e6).toFixed(1),
    lines: first?.lines ?? 0,
    mb_per_s_median: +median(rates).toFixed(1),
    lines_per_s_median: Math.round(median(runs.map((run) => run.lines / run.seconds))),
  };
};

export const benchAuditExport = async (events = Number(process.env.BENCH_EVENTS ?? 200_000), rounds = 3) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-bench-audit-'));
  const env = {
    BOSUN_DATA_DIR: directory,
    BOSUN_WORKFLOWS: 'off',
    BOSUN_ADMIN_KEY: key,
    BOSUN_RATE_LIMIT: '100000',
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: '',
    MONGODB_URL: '',
  };
  try {
    // The seeded events are the system team's.
    const teamId = await systemTeamOf(cli, env, key);
    const store = openEmbeddedEventStore({ directory });
    await seedTaskLog(store, events, teamId);
    await store.close();
    progress({ phase: 'seeded', events });
    const started = process.hrtime.bigint();
    const server = await startServer(cli, ['serve'], env, '/ready', { readyTimeoutMs: 1_800_000 });
    progress({ phase: 'projected', seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    const agent = new Agent({ keepAlive: true });
    try {
      const firehose: Download[] = [];
      const ndjson: Download[] = [];
      const csv: Download[] = [];
      for (let round = 0; round < rounds; round++) {
        firehose.push(await download(agent, `${server.url}/api/v1/events`, 'application/x-ndjson'));
        ndjson.push(await download(agent, `${server.url}/api/v1/audit-logs/export`, 'application/x-ndjson'));
        csv.push(await download(agent, `${server.url}/api/v1/audit-logs/export`, 'text/csv'));
        progress({ phase: 'round', round: round + 1, of: rounds });
      }
      const reference = summary(firehose);
      const exported = summary(ndjson);
      return {
        events,
        firehose_ndjson: reference,
        audit_export_ndjson: { ...exported, ratio_to_firehose: +(exported.mb_per_s_median / reference.mb_per_s_median).toFixed(2) },
        audit_export_csv: summary(csv),
      };
    } finally {
      agent.destroy();
      await server.stop();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
};
