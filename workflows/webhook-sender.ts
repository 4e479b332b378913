/**
 * One HTTP attempt of a delivery, as Standard Webhooks has it: a POST of the JSON payload
 * with `webhook-id`, `webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256
 * of "id.timestamp.body">`, several space-separated while a rotated secret overlaps). The
 * target's name is resolved and checked here, and the connection pinned to the address
 * checked (see commands/webhook-targets.ts).
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { checkAddresses, parseTargetUrl, resolveTarget } from '../commands/webhook-targets.js';

export type SignedMessage = { readonly messageId: string; readonly timestamp: Date; readonly body: string; readonly secrets: readonly string[] };

/** How an attempt went: `status` null when no answer came; `permanent` when trying again cannot help (a refused target). */
export type AttemptResult = {
  readonly ok: boolean;
  readonly status: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  readonly permanent: boolean;
};

export const signatureHeaders = (message: SignedMessage): Record<string, string> => ({
  'webhook-id': message.messageId,
  'webhook-timestamp': String(Math.floor(message.timestamp.getTime() / 1000)),
  'webhook-signature': message.secrets.map((secret) => new Webhook(secret).sign(message.messageId, message.timestamp, message.body)).join(' '),
});

/** A response body is read (and dropped) up to this much, so the connection can be reused; the rest is cut. */
const maxResponseBytes = 64 * 1024;

export const sendSigned = async (rawUrl: string, message: SignedMessage, options: { allowPrivate: boolean; timeoutMs: number }): Promise<AttemptResult> => {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = parseTargetUrl(rawUrl, 'url');
  let addresses: string[];
  try {
    addresses = await resolveTarget(url);
    checkAddresses(url, addresses, options.allowPrivate, 'url');
  } catch (error) {
    const refused = (error as { code?: string }).code === 'invalid_webhook_target';
    return { ok: false, status: null, durationMs: elapsed(), error: (error as Error).message, permanent: refused };
  }
  const address = addresses[0] as string;
  const family = address.includes(':') ? 6 : 4;
  // The address checked is the one connected to, whatever the name resolves to by now.
  const pinned: LookupFunction = (_host, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const requestOptions: RequestOptions = {
    method: 'POST',
    lookup: pinned,
    timeout: options.timeoutMs,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Bosun-Webhooks/1',
      'content-length': Buffer.byteLength(message.body),
      ...signatureHeaders(message),
    },
  };
  return new Promise<AttemptResult>((resolve) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, requestOptions, (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > maxResponseBytes) response.destroy();
      });
      const done = () => {
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        resolve({ ok, status, durationMs: elapsed(), error: ok ? null : `the receiver answered ${status}`, permanent: false });
      };
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, status: null, durationMs: elapsed(), error: error.message, permanent: false }));
    request.end(message.body);
  });
};
