import { get, type IncomingMessage } from 'node:http';
import type { WireEvent } from '../../projections/wire-event.js';
import { adminKey } from './harness.js';

export type StreamedEvent = {
  readonly event: WireEvent;
  /** Server-Sent Events only: the `id:` and `event:` fields. */
  readonly id?: string;
  readonly name?: string;
};

/**
 * Opens `GET /api/v1/events` and reads it one event at a time, in the format the server
 * answered with, skipping keep-alives (empty NDJSON lines, SSE comments) but counting them.
 */
export const openEventStream = async (base: string, query = '', options: { key?: string; headers?: Record<string, string> } = {}) => {
  // Its own connection (no pool): a disconnect closes exactly it, and nothing idles after the test.
  const request = get(`${base}/api/v1/events${query}`, {
    agent: false,
    headers: { authorization: `Bearer ${options.key ?? adminKey}`, ...options.headers },
  });
  const response = await new Promise<IncomingMessage>((resolve, reject) => request.once('response', resolve).once('error', reject));
  response.setEncoding('utf8');
  const sse = /^text\/event-stream/.test(response.headers['content-type'] ?? '');
  const chunks = response[Symbol.asyncIterator]() as AsyncIterator<string>;
  const separator = sse ? '\n\n' : '\n';
  let buffer = '';
  let keepAlives = 0;

  /** The next event, or null once the server has ended the stream. */
  const next = async (): Promise<StreamedEvent | null> => {
    for (;;) {
      const end = buffer.indexOf(separator);
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + separator.length);
        if (!sse) {
          if (block === '') keepAlives++;
          else return { event: JSON.parse(block) as WireEvent };
          continue;
        }
        const lines = block.split('\n').filter((line) => !line.startsWith(':'));
        if (lines.length === 0) {
          keepAlives++;
          continue;
        }
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
        return { id: field('id'), name: field('event'), event: JSON.parse(field('data')) as WireEvent };
      }
      const { value, done } = await chunks.next();
      if (done) {
        if (buffer !== '') throw new Error(`the stream ended inside an event: ${buffer.slice(0, 100)}`);
        return null;
      }
      buffer += value;
    }
  };
  const take = async (count: number): Promise<StreamedEvent[]> => {
    const events: StreamedEvent[] = [];
    for (let index = 0; index < count; index++) {
      const event = await next();
      if (!event) throw new Error(`the stream ended after ${index} of ${count} events`);
      events.push(event);
    }
    return events;
  };
  /** Everything up to the end of a stream that ends (not following). */
  const all = async (): Promise<StreamedEvent[]> => {
    const events: StreamedEvent[] = [];
    for (let event = await next(); event; event = await next()) events.push(event);
    return events;
  };
  return { response, next, take, all, keepAlives: () => keepAlives, disconnect: () => request.destroy() };
};
