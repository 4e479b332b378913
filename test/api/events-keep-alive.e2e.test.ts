/**
 * The route on its own Koa app, over a real socket: with a short keep-alive interval, and
 * with an event store that fails, neither of which the full server lets a test arrange.
 */
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import Router from '@koa/router';
import Koa from 'koa';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import type { Principal } from '../../api/auth.js';
import { errorHandler } from '../../api/errors.js';
import { eventRoutes } from '../../api/routes/events.js';
import { loadEventSchemas } from '../../events/event-schemas.js';
import type { EventStore } from '../../events/event-store.js';
import { openEventStream } from './events-client.js';
import { startTestBosun } from './harness.js';

t.test('GET /events: keep-alives and failures', async (t) => {
  const bosun = await startTestBosun();
  t.teardown(bosun.stop);
  const tenant = (await bosun.call('GET', '/api/v1/team')).body.id as string;
  const submit = async () => (await bosun.call('POST', '/api/v1/tasks', { body: { kind: 'echo', input: {} } })).body.id as string;
  await submit();
  const schemas = loadEventSchemas();

  /** The route alone, serving `events` to a viewer of the team; returns its base URL and its log lines. */
  const serve = async (t: Test, events: EventStore) => {
    const logged: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          logged.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    );
    const app = new Koa();
    app.silent = true;
    app.use(errorHandler(logger));
    const router = new Router({ prefix: '/api/v1' });
    router.use((ctx, next) => {
      const principal: Principal = { tenant, keyId: 'key', role: 'viewer', systemTeam: false };
      ctx.state.principal = principal;
      return next();
    });
    eventRoutes(router, { events, schemas, logger, keepAliveMs: 50, personal: bosun.bosun.commands.personal });
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    t.teardown(() => {
      server.closeAllConnections();
      server.close();
    });
    return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logged };
  };

  t.test('a followed stream sends keep-alives while idle: SSE comments, empty NDJSON lines', async (t) => {
    const { base } = await serve(t, bosun.bosun.events);
    const formats: Record<string, string>[] = [{ accept: 'text/event-stream' }, {}];
    for (const headers of formats) {
      const head = await bosun.bosun.events.headPosition();
      const stream = await openEventStream(base, `?follow=true&from=${head}`, { headers });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const taskId = await submit();
      t.equal((await stream.next())?.event.stream, `task-${taskId}`, 'events still come after them');
      t.ok(stream.keepAlives() >= 2, `${stream.keepAlives()} keep-alives (${JSON.stringify(headers)})`);
      stream.disconnect();
    }
  });

  t.test('a stream that ends sends none', async (t) => {
    const { base } = await serve(t, bosun.bosun.events);
    const stream = await openEventStream(base);
    await stream.all();
    t.equal(stream.keepAlives(), 0);
  });

  t.test('a store failing before the stream starts answers the typed 500', async (t) => {
    const { base, logged } = await serve(t, {
      ...bosun.bosun.events,
      readAll: async () => {
        throw new Error('disk gone');
      },
    });
    const response = await fetch(`${base}/api/v1/events`);
    t.equal(response.status, 500);
    t.match(await response.json(), { error: { type: 'api_error', code: 'internal' } });
    t.match(logged, [{ msg: 'request failed', err: { message: 'disk gone' } }]);
  });

  t.test('a failure once streaming cuts the response (not a clean end) and is logged', async (t) => {
    const { base, logged } = await serve(t, {
      ...bosun.bosun.events,
      subscribe: (_after, handlers) => {
        const timer = setTimeout(() => handlers.onError?.(new Error('subscription lost')), 100);
        return { close: async () => clearTimeout(timer) };
      },
    });
    const stream = await openEventStream(base, '?follow=true');
    await stream.take(1);
    await t.rejects(stream.all(), 'the client sees a failed transfer');
    t.match(logged, [{ level: 50, msg: 'event stream failed', err: { message: 'subscription lost' } }]);
  });
});
