/**
 * The main-thread side of the embedded stores' writer thread (embedded-event-store-writer.ts):
 * one thread per process, requests routed to it by store id and replies routed back.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WriterReply, WriterRequest } from './embedded-event-store-protocol.js';

/** The writer module next to this one: `.ts` when run from source (tests), `.js` once built. */
const writerUrl = new URL(`./embedded-event-store-writer${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

export type WriterClient = { readonly onReply: (reply: WriterReply) => void; readonly onLost: (error: Error) => void };

/** The process's writer thread: started by the first store, shared by all, kept until it dies. */
export class WriterThread {
  readonly #worker: Worker;
  readonly #clients = new Map<number, WriterClient>();
  #nextId = 1;
  /** Requests awaiting an answer: the thread keeps the process alive only while there are some. */
  #awaited = 0;
  lost = false;

  constructor() {
    this.#worker = new Worker(writerUrl);
    this.#worker.unref();
    this.#worker.on('message', (reply: WriterReply) => this.#clients.get(reply.store)?.onReply(reply));
    this.#worker.on('error', (error) => this.#lose(error));
    this.#worker.once('exit', (code) => this.#lose(new Error(`event store writer stopped with exit code ${code}`)));
  }

  register(client: WriterClient): number {
    const id = this.#nextId++;
    this.#clients.set(id, client);
    return id;
  }

  unregister(id: number): void {
    this.#clients.delete(id);
  }

  /** Opens the store's write connection; only a failure is answered (`broken`). */
  postOpen(store: number, file: string): void {
    this.#worker.postMessage({ type: 'open', store, file } satisfies WriterRequest);
  }

  /** Sends a request whose answer someone awaits; `answered` must follow its reply. */
  request(request: WriterRequest): void {
    if (this.#awaited++ === 0) this.#worker.ref();
    this.#worker.postMessage(request);
  }

  answered(): void {
    if (--this.#awaited === 0) this.#worker.unref();
  }

  #lose(error: Error): void {
    if (this.lost) return;
    this.lost = true;
    if (sharedWriter === this) sharedWriter = null;
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    for (const client of clients) client.onLost(error);
  }
}

let sharedWriter: WriterThread | null = null;

/** The writer thread every embedded store of this process uses, started on first need. */
export const sharedWriterThread = (): WriterThread => (sharedWriter ??= new WriterThread());
