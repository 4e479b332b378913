/** A webhook receiver on loopback, as a team would run one: it checks signatures with the standardwebhooks package and de-duplicates by webhook-id. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type Received = { readonly id: string; readonly headers: IncomingHttpHeaders; readonly body: string; readonly payload: Record<string, any> };

/** `up`: 204; `failing`: 500 to everything; `hanging`: never answers; `down`: not listening at all. */
export type ReceiverMode = 'up' | 'failing' | 'hanging' | 'down';

export type Receiver = {
  readonly url: string;
  /** Every request that came, verified or not. */
  readonly requests: Received[];
  /** Messages handled: each webhook-id once, in the order first handled. */
  readonly handled: Map<string, Received>;
  /** Requests whose signature did not verify against the secrets given. */
  readonly rejected: Received[];
  secrets: string[];
  readonly setMode: (mode: ReceiverMode) => Promise<void>;
  readonly close: () => Promise<void>;
};

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

export const startReceiver = async (secrets: string[] = [], path = '/hooks'): Promise<Receiver> => {
  let mode: ReceiverMode = 'up';
  const receiver: Receiver = {
    url: '',
    requests: [],
    handled: new Map(),
    rejected: [],
    secrets,
    setMode: async (next) => {
      if (next === 'down' && mode !== 'down')
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      if (next !== 'down' && mode === 'down') await listen(server, port);
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (mode === 'down') return resolve();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['webhook-id']);
      const received: Received = { id, headers: request.headers, body, payload: JSON.parse(body || 'null') as Record<string, any> };
      receiver.requests.push(received);
      if (mode === 'hanging') return;
      if (mode === 'failing') {
        response.writeHead(500).end('not now');
        return;
      }
      const verified = receiver.secrets.some((secret) => {
        try {
          new Webhook(secret).verify(body, request.headers as Record<string, string>);
          return true;
        } catch {
          return false;
        }
      });
      if (!verified) {
        receiver.rejected.push(received);
        response.writeHead(401).end('bad signature');
        return;
      }
      if (!receiver.handled.has(id)) receiver.handled.set(id, received);
      response.writeHead(204).end();
    });
  });
  const port = await listen(server, 0);
  Object.assign(receiver, { url: `http://127.0.0.1:${port}${path}` });
  return receiver;
};
