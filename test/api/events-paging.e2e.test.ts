import { get, type IncomingMessage } from 'node:http';
import t from 'tap';
import { eventPageSize } from '../../api/routes/events.js';
import type { NewEvent, ReadAllOptions } from '../../events/event-store.js';
import { uuidv7 } from '../../infra/ids.js';
import { testMetadata } from '../events/event-metadata.js';
import { openEventStream } from './events-client.js';
import { adminKey, startTestBosun } from './harness.js';

/** Log lines of about 1 KB each: a response that held every event would need tens of MB. */
const logLines = 40_000;

t.test('GET /events over a long log: bounded pages, constant memory, back-pressure', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } });
  const stream = `task-${submitted.body.id as string}`;
  const [first] = await app.bosun.events.readStream(stream);
  const tenant = first?.tenant as string;
  for (let revision = 0; revision < logLines; revision += 500) {
    const batch: NewEvent[] = Array.from({ length: 500 }, (_, i) => ({
      id: uuidv7(),
      type: 'task.logged',
      tenant,
      data: { lines: [{ stream: 'stdout', line: `line ${revision + i} ${'x'.repeat(1000)}` }] },
      metadata: testMetadata(),
    }));
    await app.bosun.events.append(stream, batch, revision);
  }
  const total = logLines + 1;
  // The read models have taken the log in, so their reads are not counted below.
  const caughtUp = await app.call('GET', `/api/v1/tasks/${submitted.body.id as string}`, {
    headers: { 'x-min-position': String(await app.bosun.events.headPosition()) },
  });
  t.equal(caughtUp.status, 200);
  const teamTotal = (await app.bosun.events.readAll({ maxCount: 1_000_000 })).filter((event) => event.tenant === tenant).length;

  // Every page the route asks for, as the store answered it.
  const pages: { maxCount: number | undefined; length: number }[] = [];
  const readAll = app.bosun.events.readAll.bind(app.bosun.events);
  app.bosun.events.readAll = async (options?: ReadAllOptions) => {
    const page = await readAll(options);
    pages.push({ maxCount: options?.maxCount, length: page.length });
    return page;
  };
  t.teardown(() => {
    app.bosun.events.readAll = readAll;
  });

  t.test('the whole log arrives in order, read in bounded pages, never far ahead of the client', async (t) => {
    pages.length = 0;
    const readSoFar = () => pages.reduce((sum, page) => sum + page.length, 0);
    const events = await openEventStream(app.bosun.url, '?category=task');
    let count = 0;
    let last = 0;
    let ordered = true;
    let lead = 0;
    for (let event = await events.next(); event; event = await events.next()) {
      ordered &&= event.event.position > last;
      last = event.event.position;
      // What the server has read but the client not yet received is all it may hold for it.
      if (++count % 1000 === 0) lead = Math.max(lead, readSoFar() - count);
    }
    t.equal(count, total);
    t.ok(ordered, 'positions increase');
    t.ok(pages.length >= total / eventPageSize, `${pages.length} pages`);
    t.ok(
      pages.every((page) => page.maxCount !== undefined && page.maxCount <= eventPageSize),
      'every read is bounded',
    );
    t.ok(lead < total / 4, `the server was at most ${lead} events ahead of the client (socket buffers and a page)`);
  });

  t.test('a client that stops reading stops the reads from the store; it gets the rest once it reads again', async (t) => {
    pages.length = 0;
    const request = get(`${app.bosun.url}/api/v1/events`, { agent: false, headers: { authorization: `Bearer ${adminKey}` } });
    t.teardown(() => request.destroy());
    const response = await new Promise<IncomingMessage>((resolve) => request.once('response', resolve));
    response.pause();
    // Until the reads stop: the socket and the body's buffers are full.
    let read = -1;
    while (read !== pages.length) {
      read = pages.length;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const eventsRead = pages.reduce((sum, page) => sum + page.length, 0);
    t.ok(eventsRead < total / 2, `the server stopped after reading ${eventsRead} of ${total} events`);

    let lines = 0;
    let rest = '';
    response.setEncoding('utf8');
    for await (const chunk of response as AsyncIterable<string>) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines += parts.filter((line) => line !== '').length;
    }
    t.equal(lines, teamTotal, 'then every event of the team');
  });

  t.test('a client that leaves mid-stream stops the reads', async (t) => {
    pages.length = 0;
    const events = await openEventStream(app.bosun.url);
    await events.take(10);
    events.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reads = pages.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.equal(pages.length, reads, 'no read after the client left');
    t.ok(reads < total / eventPageSize / 2, `${reads} pages read`);
  });
});
