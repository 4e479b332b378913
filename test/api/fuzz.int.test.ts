/**
 * The API against its own OpenAPI document: schemathesis generates requests for every
 * operation of /api/v1/openapi.json (valid ones and invalid ones), sends them as the admin
 * to Bosun on its embedded defaults, and checks every answer: no 5xx, a status, content
 * type, headers and body that the document declares. Each finding fails the test, listed
 * with the curl that reproduces it (add `-H 'Authorization: Bearer <admin key>'`).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { resolveSchemathesis } from '../../infra/schemathesis.js';
import { describeFailure, run } from '../../infra/tool-process.js';
import { adminKey, startTestBosun } from './harness.js';
import { findingsOf, formatFinding } from './schemathesis-report.js';

// A cold cache installs schemathesis first (about 10 s); the run itself takes a minute or two on 2 cores.
t.setTimeout(600_000);

const logger = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

const checks = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance'];

/**
 * Where generated values would only measure a timeout, they are pinned; each operation is
 * still tested with every other parameter generated.
 */
const config = `
# A followed NDJSON stream never ends, by contract, and schemathesis cuts short only Server-Sent Events.
[[operations]]
include-name = "GET /events"
parameters = { follow = "false" }

# A long poll: with workflows off no task finishes, so every wait would be spent whole.
[[operations]]
include-name = "GET /tasks/{id}/result"
parameters = { wait_seconds = 0 }

# The live events of a task that never finishes are read until this timeout, then judged.
[[operations]]
include-name = "GET /tasks/{id}/events"
request-timeout = 2
`;

const started = Date.now();
const schemathesis = await resolveSchemathesis({ logger });
t.comment(`schemathesis ${schemathesis.version} (${[schemathesis.command, ...schemathesis.args].join(' ')}) resolved in ${Date.now() - started} ms`);

t.test('every operation answers as the OpenAPI document declares', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const dir = await mkdtemp(join(tmpdir(), 'bosun-fuzz-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'schemathesis.toml'), config);
  const junit = join(dir, 'junit.xml');

  // Without --url each operation keeps its own server: /api/v1 from the document's
  // `servers`, `/` for the probes (/health, /ready, /metrics) that declare it.
  const args = [
    ...schemathesis.args,
    '--config-file',
    join(dir, 'schemathesis.toml'),
    'run',
    `${app.bosun.url}/api/v1/openapi.json`,
    '--header',
    `Authorization: Bearer ${adminKey}`,
    '--checks',
    checks.join(','),
    '--max-examples',
    '25',
    '--seed',
    '1',
    '--generation-database',
    'none',
    '--continue-on-failure',
    '--workers',
    '2',
    '--request-timeout',
    '10',
    '--no-color',
    '--report',
    'junit',
    '--report-junit-path',
    junit,
  ];
  const begun = Date.now();
  // Exit code 1 means findings, which the report lists; anything else is a run that failed.
  const outcome = await run(schemathesis.command, args, { cwd: dir, timeoutMs: 480_000 }).catch((error: unknown) => error);
  const code: unknown = outcome instanceof Error ? (outcome as { code?: unknown }).code : 0;
  if (code !== 0 && code !== 1) throw new Error(`schemathesis did not complete: ${describeFailure(outcome)}`);
  const stdout = String((outcome as { stdout?: unknown }).stdout ?? '');
  t.comment(`schemathesis ran ${Math.round((Date.now() - begun) / 1000)} s: ${stdout.trim().split('\n').at(-1) ?? ''}`);

  const findings = findingsOf(await readFile(junit, 'utf8'));
  t.same(findings.map(formatFinding), [], `schemathesis made ${findings.length} findings, each listed with its curl`);
  t.equal(code, 0, 'schemathesis found nothing wrong');
});
