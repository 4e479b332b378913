/**
 * `bosun projections rebuild <name> | verify [name] | status`: asks the running Bosun to
 * do it (the live runner must take part in a switch-over), showing progress on stderr and
 * the outcome on stdout as JSON. Verify exits 1 when a projection differs from its rebuild.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

const usage = `usage: bosun projections <rebuild NAME | verify [NAME] | status> [--url URL] [--key KEY]

  rebuild NAME   rebuild one projection from position 0 and switch over while it serves
  verify [NAME]  rebuild into scratch storage and compare with the live read model
  status         each projection's state, checkpoint and lag

The running Bosun is reached at --url (default BOSUN_URL or http://127.0.0.1:PORT) with an
admin key: --key or BOSUN_ADMIN_KEY.
`;

export class UsageError extends Error {}

type Options = { readonly url: string; readonly key: string; readonly args: readonly string[] };

const parse = (argv: readonly string[], env: NodeJS.ProcessEnv): Options => {
  const args: string[] = [];
  let url = env.BOSUN_URL || `http://127.0.0.1:${env.PORT || '8080'}`;
  let key = env.BOSUN_ADMIN_KEY || '';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--url' || arg === '--key') {
      const value = argv[++i];
      if (!value) throw new UsageError(`${arg} needs a value`);
      if (arg === '--url') url = value;
      else key = value;
    } else args.push(arg);
  }
  if (!key) throw new UsageError('an admin key is needed: --key KEY or BOSUN_ADMIN_KEY');
  return { url: url.replace(/\/$/, ''), key, args };
};

export const formatProgress = (line: Record<string, unknown>): string => {
  const head = Number(line.head ?? 0);
  const position = Number(line.position ?? 0);
  const percent = head > 0 ? Math.min(100, Math.floor((100 * position) / head)) : 100;
  const eta = line.eta_seconds === null || line.eta_seconds === undefined ? '?' : `${String(line.eta_seconds)} s`;
  return `${String(line.runner)}/${String(line.projection)}: ${percent}% (position ${position} of ${head}), ${Number(line.events ?? 0).toLocaleString('en')} events, ${Number(line.events_per_second ?? 0).toLocaleString('en')} events/s, ETA ${eta}`;
};

const call = async (options: Options, method: string, path: string): Promise<Response> => {
  let response: Response;
  try {
    response = await fetch(`${options.url}/api/v1${path}`, { method, headers: { Authorization: `Bearer ${options.key}` } });
  } catch (error) {
    throw new Error(`no Bosun answers at ${options.url} (${String((error as Error).cause ?? error)}); start it with npm start, or pass --url`, {
      cause: error,
    });
  }
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(`${method} ${path}: ${response.status} ${body?.error?.message ?? response.statusText}`);
  }
  return response;
};

/** Reads an NDJSON operation, drawing progress on stderr; answers its last line. */
const follow = async (response: Response, progress: NodeJS.WriteStream): Promise<Record<string, unknown>> => {
  const lines = createInterface({ input: Readable.fromWeb(response.body as WebReadableStream) });
  let last: Record<string, unknown> = {};
  for await (const text of lines) {
    if (!text.trim()) continue;
    const line = JSON.parse(text) as Record<string, unknown>;
    if (line.type === 'progress') {
      const shown = formatProgress(line);
      progress.write(progress.isTTY ? `\r\x1b[2K${shown}` : `${shown}\n`);
    } else last = line;
  }
  if (progress.isTTY) progress.write('\n');
  if (last.type === 'error') throw new Error(`the server failed: ${String((last.error as { message?: string })?.message)}`);
  return last;
};

export const runProjectionsCommand = async (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> => {
  let options: Options;
  try {
    options = parse(argv, env);
  } catch (error) {
    process.stderr.write(`bosun projections: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  try {
    return await dispatch(options);
  } catch (error) {
    process.stderr.write(`bosun projections: ${(error as Error).message}\n`);
    return 1;
  }
};

const dispatch = async (options: Options): Promise<number> => {
  const [action, name, ...rest] = options.args;
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  if (action === 'status' && name === undefined) {
    print(await (await call(options, 'GET', '/system/projections')).json());
    return 0;
  }
  if (action === 'rebuild' && name && rest.length === 0) {
    print(await follow(await call(options, 'POST', `/system/projections/${encodeURIComponent(name)}/rebuild`), process.stderr));
    return 0;
  }
  if (action === 'verify' && rest.length === 0) {
    const query = name ? `?projection=${encodeURIComponent(name)}` : '';
    const result = await follow(await call(options, 'POST', `/system/projections/verify${query}`), process.stderr);
    print(result);
    return result.identical === true ? 0 : 1;
  }
  process.stderr.write(usage);
  return 2;
};
