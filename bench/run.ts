/**
 * `npm run bench`: every benchmark, each printing one JSON line of figures.
 * `npm run bench -- fleet http-submit` (or `node dist/bench/run.js fleet`) runs only those named.
 */
import { benchEventStore } from './event-store.js';
import { benchFleet } from './fleet.js';
import { benchHttp } from './http.js';
import { benchMongoReadStore } from './mongo-read-store.js';
import { benchKafkaToMongoFigures, benchReadSide, benchVisibleLagFigures } from './read-side.js';

const benches: Record<string, () => Promise<object>> = {
  'audit-verify': async () => (await import('./audit-verify.js')).benchAuditVerify(),
  'event-store': () => benchEventStore(),
  'http-submit': () => benchHttp(Number(process.env.BENCH_SECONDS ?? 20)),
  fleet: () => benchFleet(),
  kafka: async () => (await import('./kafka.js')).benchKafka(),
  'mongo-read-store': () => benchMongoReadStore(),
  'read-store': async () => (await import('./read-store.js')).benchReadStore(),
  'read-side': () => benchReadSide(),
  replay: async () => (await import('./replay.js')).benchReplay(),
  'visible-lag': () => benchVisibleLagFigures(),
  'kafka-to-mongo': () => benchKafkaToMongoFigures(),
  'time-travel': async () => (await import('./time-travel.js')).benchTimeTravel(),
  'audit-export': async () => (await import('./audit-export.js')).benchAuditExport(),
  'task-lists': async () => (await import('./task-lists.js')).benchTaskLists(),
  webhooks: async () => (await import('./webhooks.js')).benchWebhooks(),
};

const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in benches));
if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; there are ${Object.keys(benches).join(', ')}`);

for (const [name, bench] of Object.entries(benches)) {
  if (chosen.length > 0 && !chosen.includes(name)) continue;
  process.stdout.write(`${JSON.stringify({ bench: name, ...(await bench()) })}\n`);
}
