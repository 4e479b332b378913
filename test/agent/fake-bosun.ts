/**
 * A small in-memory Bosun speaking the agent runtime API of docs/agent-api.md, for agent tests.
 * It records every call so tests can look at what the agent said, and lets tests cancel
 * tasks, make an ack conflict, revoke credentials and answer transient errors.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeTask = { id: string; kind: string; input: unknown; timeout_seconds?: number | null };
type TaskState = 'queued' | 'claimed' | 'running' | 'completed' | 'failed' | 'cancelled';
export type Outcome = { readonly taskId: string; readonly outcome: 'complete' | 'fail'; readonly body: any };
export type Recorded = { readonly path: string; readonly body: any; readonly idempotencyKey: string | undefined };
type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const error = (status: number, type: string, code: string, message: string): Answer => ({
  status,
  body: { error: { type, code, message, request_id: randomUUID() } },
});
const unauthorized = () => error(401, 'authentication_error', 'invalid_credential', 'missing, wrong or revoked credential');
const notRunning = (state: TaskState) => error(409, 'conflict_error', 'task_not_running', `the task is ${state}`);

export class FakeBosun {
  readonly calls: Recorded[] = [];
  readonly registrations: Recorded[] = [];
  readonly heartbeats: any[] = [];
  readonly outcomes = new Map<string, Outcome>();
  heartbeatIntervalSeconds = 0.05;
  claimWaitSeconds = 5;

  private readonly tokens = new Set<string>();
  private readonly credentials = new Set<string>();
  private readonly tasks = new Map<string, { task: FakeTask; state: TaskState; cancelRequested: boolean; ackConflict: boolean }>();
  private readonly waitingClaims: ServerResponse[] = [];
  private readonly injected: { pathEnd: string; answer: Answer }[] = [];
  private readonly changed = new EventEmitter();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeBosun> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fake = new FakeBosun(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (request, response) => void fake.handle(request, response));
    return fake;
  }

  /** A one-time registration token this server accepts. */
  issueToken(): string {
    const token = `bsr_${randomUUID()}`;
    this.tokens.add(token);
    return token;
  }

  enqueue(task: FakeTask): void {
    this.tasks.set(task.id, { task, state: 'queued', cancelRequested: false, ackConflict: false });
    this.handOut();
  }

  /** Cancels for good: heartbeats list it in `cancel_task_ids`, progress answers 409. */
  cancel(taskId: string): void {
    this.entry(taskId).state = 'cancelled';
  }

  /** The next progress call answers `cancel_requested: true`. */
  requestCancel(taskId: string): void {
    this.entry(taskId).cancelRequested = true;
  }

  /** The task is cancelled between its claim and the agent's ack: the ack answers 409. */
  cancelBeforeAck(taskId: string): void {
    this.entry(taskId).ackConflict = true;
  }

  revokeAll(): void {
    this.credentials.clear();
  }

  /** The next call whose path ends with `pathEnd` answers `status` instead. */
  inject(pathEnd: string, status: number, headers: Record<string, string> = {}): void {
    this.injected.push({ pathEnd, answer: { ...error(status, status === 429 ? 'rate_limit_error' : 'api_error', 'injected', 'injected failure'), headers } });
  }

  stateOf(taskId: string): TaskState {
    return this.entry(taskId).state;
  }

  progressOf(taskId: string): any[] {
    return this.calls.filter((call) => call.path === `/tasks/${taskId}/progress`).map((call) => call.body);
  }

  /** Resolves with the first value `check` answers, checking after every call the agent makes. */
  waitFor<T>(check: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (!value) return;
        this.changed.off('call', attempt);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.changed.off('call', attempt);
        reject(new Error(`fake Bosun: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.changed.on('call', attempt);
      attempt();
    });
  }

  outcome(taskId: string): Promise<Outcome> {
    return this.waitFor(() => this.outcomes.get(taskId), `outcome for task ${taskId}`);
  }

  /** The first heartbeat from now on that satisfies `check`. */
  nextHeartbeat(check: (heartbeat: any) => boolean = () => true): Promise<any> {
    const from = this.heartbeats.length;
    return this.waitFor(() => this.heartbeats.slice(from).find(check), 'matching heartbeat');
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private entry(taskId: string) {
    const entry = this.tasks.get(taskId);
    if (!entry) throw new Error(`fake Bosun: no task ${taskId}`);
    return entry;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += chunk;
    const url = new URL(request.url ?? '/', this.url);
    const path = url.pathname.replace(/^\/api\/v1\/agent/, '');
    const call = { path, body: text ? JSON.parse(text) : null, idempotencyKey: request.headers['idempotency-key'] as string | undefined };
    this.calls.push(call);
    const answer = this.answer(request, call, url, response);
    if (answer) this.send(response, answer);
    this.changed.emit('call');
  }

  private send(response: ServerResponse, { status, body, headers }: Answer): void {
    response.writeHead(status, { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) });
    response.end(body === undefined ? undefined : JSON.stringify(body));
  }

  /** Null when the answer comes later (a waiting claim). */
  private answer(request: IncomingMessage, call: Recorded, url: URL, response: ServerResponse): Answer | null {
    const injected = this.injected.findIndex(({ pathEnd }) => call.path.endsWith(pathEnd));
    if (injected >= 0) return this.injected.splice(injected, 1)[0]!.answer;
    if (request.method !== 'POST') return error(404, 'not_found_error', 'not_found', 'no such route');
    if (call.path === '/register') return this.register(call);
    const credential = request.headers.authorization?.replace(/^Bearer /, '');
    if (!credential || !this.credentials.has(credential)) return unauthorized();
    if (call.path === '/heartbeat') return this.heartbeat(call.body);
    if (call.path === '/tasks/claim') return this.claim(Number(url.searchParams.get('wait_seconds') ?? 0), response);
    const [, , taskId, verb] = call.path.split('/');
    const entry = taskId ? this.tasks.get(taskId) : undefined;
    if (!entry) return error(404, 'not_found_error', 'task_not_found', 'no such task');
    switch (verb) {
      case 'ack':
        if (entry.ackConflict) entry.state = 'cancelled';
        if (entry.state !== 'claimed') return error(409, 'conflict_error', 'task_not_queued', `the task is ${entry.state}`);
        entry.state = 'running';
        return { status: 200, body: { task: entry.task } };
      case 'progress':
        if (entry.state !== 'running') return notRunning(entry.state);
        return { status: 200, body: { cancel_requested: entry.cancelRequested } };
      case 'complete':
      case 'fail':
        if (entry.state !== 'running') return notRunning(entry.state);
        entry.state = verb === 'complete' ? 'completed' : 'failed';
        this.outcomes.set(taskId!, { taskId: taskId!, outcome: verb, body: call.body });
        return { status: 200, body: {} };
      default:
        return error(404, 'not_found_error', 'not_found', 'no such route');
    }
  }

  private register(call: Recorded): Answer {
    if (!this.tokens.delete(call.body?.registration_token)) return unauthorized();
    this.registrations.push(call);
    const credential = `bsi_${randomUUID()}`;
    this.credentials.add(credential);
    return {
      status: 201,
      body: { instance_id: randomUUID(), credential, heartbeat_interval_seconds: this.heartbeatIntervalSeconds, claim_wait_seconds: this.claimWaitSeconds },
    };
  }

  private heartbeat(body: any): Answer {
    this.heartbeats.push(body);
    const running: string[] = body?.running_task_ids ?? [];
    const cancelled = running.filter((id) => this.tasks.get(id)?.state === 'cancelled');
    return { status: 200, body: { instance_status: 'running', cancel_task_ids: cancelled, heartbeat_interval_seconds: this.heartbeatIntervalSeconds } };
  }

  private claim(waitSeconds: number, response: ServerResponse): Answer | null {
    this.waitingClaims.push(response);
    const timer = setTimeout(() => this.withdraw(response) && this.send(response, { status: 204 }), waitSeconds * 1000);
    response.on('close', () => {
      clearTimeout(timer);
      this.withdraw(response);
    });
    this.handOut();
    return null;
  }

  private withdraw(response: ServerResponse): boolean {
    const index = this.waitingClaims.indexOf(response);
    if (index >= 0) this.waitingClaims.splice(index, 1);
    return index >= 0;
  }

  /** Gives queued tasks to waiting claims, oldest first. */
  private handOut(): void {
    for (const entry of this.tasks.values()) {
      if (entry.state !== 'queued') continue;
      const response = this.waitingClaims.shift();
      if (!response) return;
      entry.state = 'claimed';
      this.send(response, {
        status: 200,
        body: { task: { timeout_seconds: null, attempt: 1, ack_deadline: new Date(Date.now() + 30_000).toISOString(), ...entry.task } },
      });
      this.changed.emit('call');
    }
  }
}
