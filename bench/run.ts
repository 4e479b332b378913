/** `npm run bench`: every benchmark, each printing one JSON line of figures. */
import { benchEventStore } from './event-store.js';
import { benchHttp } from './http.js';

const print = (name: string, figures: object) => process.stdout.write(`${JSON.stringify({ bench: name, ...figures })}\n`);

print('event-store', await benchEventStore());
print('http-submit', await benchHttp(Number(process.env.BENCH_SECONDS ?? 20)));
