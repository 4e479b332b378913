import t from 'tap';
import { adminKey, createOtherTeam, startTestBosun, type TestBosun } from './harness.js';
import { taskDriver, watchSubscriptions } from './task-driver.js';

type ServerSentEvent = { id: string; event: string; data: any };

/** Opens a task's event stream and reads it one event at a time, skipping comments. */
const openEvents = async (app: TestBosun, taskId: string, options: { query?: string; headers?: Record<string, string> } = {}) => {
  const aborter = new AbortController();
  const response = await fetch(`${app.bosun.url}/api/v1/tasks/${taskId}/events${options.query ?? ''}`, {
    headers: { authorization: `Bearer ${adminKey}`, ...options.headers },
    signal: aborter.signal,
  });
  if (!response.body) throw new Error('no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  /** The next event, or null once the server has ended the stream. */
  const next = async (): Promise<ServerSentEvent | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const lines = buffer
          .slice(0, end)
          .split('\n')
          .filter((line) => !line.startsWith(':'));
        buffer = buffer.slice(end + 2);
        if (lines.length === 0) continue;
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
        return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) };
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value;
    }
  };
  const nextEvents = async (count: number) => {
    const events: ServerSentEvent[] = [];
    for (let index = 0; index < count; index++) {
      const event = await next();
      if (!event) throw new Error('the stream ended early');
      events.push(event);
    }
    return events;
  };
  return { response, next, nextEvents, disconnect: () => aborter.abort() };
};

t.test('task events over SSE', async (t) => {
  const app = await startTestBosun();
  t.teardown(app.stop);
  const drive = taskDriver(app);
  const submit = async () => (await app.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: { text: 'hi' } } })).body.id as string;

  t.test('replays the stream, follows it live, and ends after the terminal event', async (t) => {
    const taskId = await submit();
    await drive.start(taskId);
    const stream = await openEvents(app, taskId);
    t.equal(stream.response.status, 200);
    t.match(stream.response.headers.get('content-type'), /^text\/event-stream/);
    t.equal(stream.response.headers.get('cache-control'), 'no-cache');
    t.equal(stream.response.headers.get('x-accel-buffering'), 'no');

    const replayed = await stream.nextEvents(3);
    t.same(
      replayed.map((e) => [e.id, e.event]),
      [
        ['0', 'task.submitted'],
        ['1', 'task.queued'],
        ['2', 'task.started'],
      ],
    );
    t.match(replayed[0]?.data, {
      type: 'task.submitted',
      revision: 0,
      position: Number,
      occurred_at: String,
      data: { task_id: taskId, input: { text: 'hi' } },
    });
    t.match(replayed[0]?.data.id, /^[0-9a-f-]{36}$/, 'the event id');

    await drive.progress(taskId, 50);
    t.match(await stream.next(), { id: '3', event: 'task.progressed', data: { revision: 3, data: { percent: 50, message: 'at 50%' } } });
    await drive.complete(taskId, { answer: 42 });
    t.match(await stream.next(), { id: '4', event: 'task.completed', data: { data: { outputs: { answer: 42 } } } });
    t.equal(await stream.next(), null, 'the stream ends after the terminal event');
  });

  t.test('Last-Event-ID resumes after that revision', async (t) => {
    const taskId = await submit();
    await drive.start(taskId);
    await drive.progress(taskId, 10);

    const resumed = await openEvents(app, taskId, { headers: { 'last-event-id': '1' } });
    t.same(
      (await resumed.nextEvents(2)).map((e) => e.id),
      ['2', '3'],
    );
    const byQuery = await openEvents(app, taskId, { query: '?last_event_id=2' });
    t.equal((await byQuery.next())?.id, '3');

    await drive.execute(taskId, { type: 'CancelTask', reason: 'enough' });
    t.match(await resumed.next(), { id: '4', event: 'task.cancelled' });
    t.equal(await resumed.next(), null);
    t.match(await byQuery.next(), { id: '4', event: 'task.cancelled' });
    t.equal(await byQuery.next(), null);

    const afterTheEnd = await openEvents(app, taskId, { headers: { 'last-event-id': '4' } });
    t.equal(await afterTheEnd.next(), null, 'a client that saw the terminal event gets an ended stream');
  });

  t.test('events appended while a client connects arrive once each, in order', async (t) => {
    const taskId = await submit();
    await drive.start(taskId);
    const appending = (async () => {
      for (let percent = 1; percent <= 30; percent++) await drive.progress(taskId, percent);
      await drive.complete(taskId, {});
    })();
    const stream = await openEvents(app, taskId);
    const ids: string[] = [];
    for (let event = await stream.next(); event; event = await stream.next()) ids.push(event.id);
    await appending;
    t.same(
      ids,
      Array.from({ length: 34 }, (_, revision) => String(revision)),
    );
  });

  t.test('a client that goes away leaves no subscription behind', async (t) => {
    const subscriptions = watchSubscriptions(app.bosun.events);
    const first = await submit();
    const second = await submit();
    const one = await openEvents(app, first);
    const other = await openEvents(app, second);
    await one.next();
    await other.next();
    t.equal(subscriptions.open(), 1, 'clients share one subscription');

    one.disconnect();
    other.disconnect();
    await subscriptions.until(0);
    t.pass('the subscription closed once both clients left');

    const third = await openEvents(app, first);
    await third.next();
    t.equal(subscriptions.open(), 1, 'a new client subscribes again');
    await drive.execute(first, { type: 'CancelTask', reason: null });
    for (let event = await third.next(); event; event = await third.next());
    await subscriptions.until(0);
    t.pass('a stream that ended leaves no subscription either');
  });

  t.test("another team's task and an unknown id answer 404 before any stream", async (t) => {
    const otherKey = await createOtherTeam(app, 'events-other');
    const taskId = await submit();
    const theirs = await app.call('GET', `/api/v1/tasks/${taskId}/events`, { key: otherKey });
    t.equal(theirs.status, 404);
    t.equal(theirs.body.error.type, 'not_found_error');
    t.match(theirs.headers.get('content-type'), /^application\/json/);
    const unknown = await app.call('GET', '/api/v1/tasks/no-such-task/events');
    t.equal(unknown.status, 404);
  });

  t.test('an invalid Last-Event-ID answers 400 naming the field', async (t) => {
    const taskId = await submit();
    // The task has only its submission (revision 0, and 1 once queued): 7 was never sent.
    for (const headers of [{ 'last-event-id': 'abc' }, { 'last-event-id': '-1' }, { 'last-event-id': '7' }]) {
      const refused = await app.call('GET', `/api/v1/tasks/${taskId}/events`, { headers });
      t.equal(refused.status, 400);
      t.equal(refused.body.error.param, 'last_event_id');
    }
    const byQuery = await app.call('GET', `/api/v1/tasks/${taskId}/events?last_event_id=1.5`);
    t.equal(byQuery.body.error.param, 'last_event_id');
  });
});
