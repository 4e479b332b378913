import t from 'tap';
import type { RecordedEvent } from '../../events/event-store.js';
import { toWireEvent } from '../../projections/wire-event.js';
import { openEventStream } from './events-client.js';
import { createOtherTeam, startTestBosun } from './harness.js';
import { watchSubscriptions } from './task-driver.js';

t.test("GET /events: the caller's team's events", async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const otherKey = await createOtherTeam(app, 'analytics-other');
  const mine = (await app.call('GET', '/api/v1/team')).body.id as string;
  const theirs = (await app.call('GET', '/api/v1/team', { key: otherKey })).body.id as string;
  const submit = async (key?: string) => {
    const submitted = await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { n: 1 } }, ...(key ? { key } : {}) });
    if (submitted.status !== 202) throw new Error(JSON.stringify(submitted.body));
    return submitted.body.id as string;
  };
  for (let i = 0; i < 3; i++) await submit();
  for (let i = 0; i < 2; i++) await submit(otherKey);
  const deployed = await app.call('POST', '/api/v1/instances', { body: { name: 'worker-1', provider: 'local', spec: {} } });
  t.equal(deployed.status, 202);

  /** An event as the API shows it to its team: its personal data revealed. */
  const shown = (event: RecordedEvent) => app.bosun.commands.personal.reveal(toWireEvent(event), event.tenant);
  /** What the log holds for `tenant` now, in log order. */
  const stored = async (tenant: string) => (await app.bosun.events.readAll({ maxCount: 100_000 })).filter((event) => event.tenant === tenant);
  const open = (query = '', options: { key?: string; headers?: Record<string, string> } = {}) => openEventStream(app.bosun.url, query, options);
  const sse = { accept: 'text/event-stream' };
  const positions = (events: { event: { position: number } }[]) => events.map(({ event }) => event.position);

  t.test('NDJSON by default: every event of the team, in log order, as WireEvents; ends at the head', async (t) => {
    const stream = await open();
    t.equal(stream.response.statusCode, 200);
    t.match(stream.response.headers['content-type'], /^application\/x-ndjson/);
    t.equal(stream.response.headers['cache-control'], 'no-cache');
    const events = await stream.all();
    const expected = await stored(mine);
    t.same(
      events.map(({ event }) => event),
      await Promise.all(expected.map(shown)),
      "exactly the team's events, whole, personal data revealed",
    );
    t.ok(expected.some((event) => event.type === 'team.created') && expected.some((event) => event.type === 'task.submitted'));
    t.ok(expected.some((event) => event.stream.startsWith('instance-')));
  });

  t.test("two teams: each gets its own events and never the other's", async (t) => {
    const ours = (await (await open()).all()).map(({ event }) => event);
    const others = (await (await open('', { key: otherKey })).all()).map(({ event }) => event);
    t.ok(ours.length > 0 && others.length > 0);
    t.ok(ours.every((event) => event.tenant === mine));
    t.ok(others.every((event) => event.tenant === theirs));
    t.same(
      positions(others.map((event) => ({ event }))),
      (await stored(theirs)).map((event) => event.position),
    );
    const all = new Set(positions(ours.map((event) => ({ event }))));
    t.notOk(
      others.some((event) => all.has(event.position)),
      'no event in both',
    );
  });

  t.test('filters by category and by type, repeated or comma-separated', async (t) => {
    const expected = await stored(mine);
    const tasks = await (await open('?category=task')).all();
    t.same(
      positions(tasks),
      expected.filter((event) => event.stream.startsWith('task-')).map((event) => event.position),
    );
    t.equal(tasks.length, 3);

    const taskOrInstance = expected.filter((event) => /^(task|instance)-/.test(event.stream)).map((event) => event.position);
    t.same(positions(await (await open('?category=task,instance')).all()), taskOrInstance);
    t.same(positions(await (await open('?category=task&category=instance')).all()), taskOrInstance);

    const byType = await (await open('?type=team.created,task.submitted')).all();
    t.same(
      positions(byType),
      expected.filter((event) => event.type === 'team.created' || event.type === 'task.submitted').map((event) => event.position),
    );
    t.same(new Set(byType.map(({ event }) => event.type)), new Set(['team.created', 'task.submitted']));
    t.same(await (await open('?category=team&type=task.submitted')).all(), [], 'both filters apply');
  });

  t.test('from resumes after a position; Last-Event-ID wins over it', async (t) => {
    const expected = (await stored(mine)).map((event) => event.position);
    const third = expected[2] as number;
    t.same(positions(await (await open(`?from=${third}`)).all()), expected.slice(3));
    t.same(
      positions(await (await open(`?from=${third}&category=task`)).all()),
      (await stored(mine)).filter((e) => e.position > third && e.stream.startsWith('task-')).map((e) => e.position),
    );
    const pastTheHead = await app.call('GET', '/api/v1/events?from=99999999');
    t.match(
      pastTheHead,
      { status: 400, body: { error: { param: 'from', message: /beyond the log's last position/ } } },
      'past the head: a position no event was sent with',
    );

    const resumed = await open('?from=0&follow=false', { headers: { ...sse, 'last-event-id': String(third) } });
    t.same(positions(await resumed.all()), expected.slice(3));
    t.same(positions(await (await open(`?last_event_id=${third}`)).all()), expected.slice(3), 'also as a query parameter');
  });

  t.test('Server-Sent Events: id is the position, event the type, data the WireEvent; follows live by default', async (t) => {
    const subscriptions = watchSubscriptions(app.bosun.events);
    const expected = await stored(mine);
    const stream = await open('', { headers: sse });
    t.equal(stream.response.statusCode, 200);
    t.match(stream.response.headers['content-type'], /^text\/event-stream/);
    t.equal(stream.response.headers['x-accel-buffering'], 'no');
    const replayed = await stream.take(expected.length);
    t.same(
      replayed.map(({ id, name, event }) => [id, name, event]),
      await Promise.all(expected.map(async (event) => [String(event.position), event.type, await shown(event)])),
    );

    // Another team's event comes first in the log, yet only ours arrives.
    await submit(otherKey);
    const taskId = await submit();
    const live = await stream.next();
    t.equal(live?.name, 'task.submitted');
    t.equal(live?.event.stream, `task-${taskId}`);
    t.equal(live?.id, String(live?.event.position));
    t.equal(subscriptions.open(), 1, 'one subscription for the live part');
    stream.disconnect();
    await subscriptions.until(0);
    t.pass('the client left, the subscription closed');
  });

  t.test('SSE resume: Last-Event-ID of a followed stream gives the rest, then live events', async (t) => {
    const expected = (await stored(mine)).map((event) => event.position);
    const from = expected.at(-3) as number;
    const stream = await open('', { headers: { ...sse, 'last-event-id': String(from) } });
    t.same(positions(await stream.take(2)), expected.slice(-2));
    const taskId = await submit();
    t.equal((await stream.next())?.event.stream, `task-${taskId}`);
    stream.disconnect();
  });

  t.test('follow=true: stored events, then live ones, with no gap and no duplicate while events are appended', async (t) => {
    const appending = (async () => {
      for (let i = 0; i < 40; i++) await submit();
    })();
    const stream = await open('?follow=true&category=task');
    await appending;
    const expected = (await stored(mine)).filter((event) => event.stream.startsWith('task-')).map((event) => event.position);
    t.ok(expected.length >= 40);
    t.same(positions(await stream.take(expected.length)), expected);
    const last = await submit();
    t.equal((await stream.next())?.event.stream, `task-${last}`, 'the next one is the new event: nothing repeated');
    stream.disconnect();
  });

  t.test('follow=true past the head: nothing until an event comes', async (t) => {
    const head = await app.bosun.events.headPosition();
    const stream = await open(`?from=${head}&follow=true`);
    const taskId = await submit();
    const first = await stream.next();
    t.equal(first?.event.stream, `task-${taskId}`);
    t.ok((first?.event.position ?? 0) > head);
    stream.disconnect();
  });

  t.test('SSE with follow=false ends at the head', async (t) => {
    const events = await (await open('?follow=false&category=team', { headers: sse })).all();
    t.ok(events.length > 0);
    t.ok(events.every(({ name }) => name?.startsWith('team.')));
  });

  t.test('invalid parameters answer 400 naming the parameter, before any stream', async (t) => {
    const cases: [string, Record<string, string>, string][] = [
      ['?category=bogus', {}, 'category'],
      ['?category=task,', {}, 'category'],
      ['?category=task&category=tasks', {}, 'category'],
      ['?type=task.nope', {}, 'type'],
      ['?type=', {}, 'type'],
      ['?from=-1', {}, 'from'],
      ['?from=1.5', {}, 'from'],
      ['?from=abc', {}, 'from'],
      ['?from=1&from=2', {}, 'from'],
      ['?follow=yes', {}, 'follow'],
      ['', { 'last-event-id': 'x' }, 'last_event_id'],
      ['?last_event_id=-3', sse, 'last_event_id'],
    ];
    for (const [query, headers, param] of cases) {
      const refused = await app.call('GET', `/api/v1/events${query}`, { headers });
      t.equal(refused.status, 400, query);
      t.match(refused.headers.get('content-type'), /^application\/json/);
      t.equal(refused.body.error.type, 'invalid_request_error');
      t.equal(refused.body.error.param, param, `${query} ${JSON.stringify(headers)} names ${param}`);
    }
  });

  t.test('needs an API key', async (t) => {
    const refused = await app.call('GET', '/api/v1/events', { key: null });
    t.equal(refused.status, 401);
  });
});
