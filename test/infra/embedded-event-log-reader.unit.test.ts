import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { NewEvent, RecordedEvent } from '../../events/event-store.js';
import { openEmbeddedEventLog } from '../../infra/embedded-event-log-reader.js';
import { unindexedLimit } from '../../infra/embedded-event-store-schema.js';
import { openEmbeddedEventStore } from '../../infra/embedded-event-store.js';
import { testMetadata } from '../events/event-metadata.js';

const event = (n: number): NewEvent => ({
  id: randomUUID(),
  type: 'unit.happened',
  tenant: 'team-a',
  data: { n },
  metadata: testMetadata({ type: 'system', id: 'unit' }),
});

t.test('the read-only log beside its writer reads what the writer reads', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'bosun-log-reader-'));
  t.teardown(() => rmSync(directory, { recursive: true, force: true }));
  // Given a store holding its lock, with streams past one fold of the stream index and into the next tail
  const store = openEmbeddedEventStore({ directory });
  t.teardown(() => store.close());
  const streams = ['s-a', 's-b', 's-c'];
  const appends = Math.ceil((unindexedLimit * 1.5) / 10);
  for (let i = 0; i < appends; i++) {
    const expected = i < streams.length ? 'no_stream' : Math.floor(i / streams.length) * 10 - 1;
    await store.append(
      streams[i % streams.length] as string,
      Array.from({ length: 10 }, (_, n) => event(i * 10 + n)),
      expected,
    );
  }

  // When the log is opened read-only beside it
  const log = openEmbeddedEventLog(directory);
  t.teardown(() => log.close());

  // Then the head, pages of the log and streams (whole, windows across the index's end, pages) are the writer's
  t.equal(await log.headPosition(), await store.headPosition());
  t.strictSame(await log.readAll({ after: 100, maxCount: 50 }), await store.readAll({ after: 100, maxCount: 50 }));
  for (const stream of streams) {
    const whole = await store.readStream(stream);
    t.strictSame(await log.readStream(stream), whole, `${stream} whole`);
    for (const [fromRevision, maxCount] of [
      [0, 7],
      [whole.length - 3, 2],
      [Math.floor(whole.length / 2), 40],
    ] as const) {
      t.strictSame(
        await log.readStream(stream, { fromRevision, maxCount }),
        whole.slice(fromRevision, fromRevision + maxCount),
        `${stream} from ${fromRevision}, ${maxCount}`,
      );
    }
  }
  t.same(await log.readStream('s-none'), [], 'a stream that does not exist is empty');

  // and an append the writer makes afterwards is seen by the next read
  const appended = await store.append('s-late', [event(-1)], 'no_stream');
  t.equal(await log.headPosition(), appended.position);
  t.equal(((await log.readStream('s-late'))[0] as RecordedEvent).position, appended.position);
});

t.test('a data directory without a log is named', async (t) => {
  t.throws(() => openEmbeddedEventLog('/nonexistent/bosun'), {
    message: 'no event store in /nonexistent/bosun (no events.sqlite): set BOSUN_DATA_DIR to the directory Bosun serves',
  });
});
