import { inputObject, invalidInput, requireString } from '../task-failure.js';
import type { TaskKind } from '../task-kinds.js';

const timeoutMs = 10_000;
const bodyCapBytes = 2 ** 20;

const parseUrl = (text: string): URL => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidInput('url must be an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidInput('url must be http or https');
  return url;
};

/** The first `cap` bytes of the body; the rest is not downloaded. */
const readCapped = async (body: ReadableStream<Uint8Array> | null, cap: number): Promise<{ bytes: Buffer; truncated: boolean }> => {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (!body) return { bytes: Buffer.alloc(0), truncated: false };
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), truncated: false };
    chunks.push(value);
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel();
      return { bytes: Buffer.concat(chunks).subarray(0, cap), truncated: true };
    }
  }
};

/** A GET with a 10 s limit on the whole exchange; any status is a result, not a failure. */
export const httpGet: TaskKind = async (input, { signal }) => {
  const url = parseUrl(requireString(inputObject(input), 'url'));
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, { signal: AbortSignal.any([signal, timeout]) });
    const { bytes, truncated } = await readCapped(response.body, bodyCapBytes);
    return { status: response.status, headers: Object.fromEntries(response.headers), body: bytes.toString('utf8'), truncated };
  } catch (error) {
    if (timeout.aborted && !signal.aborted) throw new Error(`GET ${url.origin}${url.pathname} took longer than ${timeoutMs / 1000} s`, { cause: error });
    throw error;
  }
};
