/** The agent runtime API of docs/agent-api.md, spoken over global fetch. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ConfigurationSnapshot } from './configuration.js';
import { backoffDelayMs, defaultRetryPolicy, isTransientStatus, retryAfterMs, type RetryPolicy } from './retry.js';

export const agentVersion = '0.1.0';

export type Registration = {
  readonly instance_id: string;
  readonly credential: string;
  readonly heartbeat_interval_seconds: number;
  readonly claim_wait_seconds: number;
};

export type HeartbeatReport = {
  readonly metrics: { readonly cpu_percent: number; readonly memory_mb: number; readonly running_tasks: number };
  readonly configuration: ConfigurationSnapshot;
  readonly running_task_ids: readonly string[];
};

export type HeartbeatAnswer = {
  readonly instance_status: string;
  readonly cancel_task_ids: readonly string[];
  readonly heartbeat_interval_seconds: number;
};

export type ClaimedTask = {
  readonly id: string;
  readonly kind: string;
  readonly input: unknown;
  readonly timeout_seconds: number | null;
  readonly attempt: number;
  readonly ack_deadline: string;
};

export type LogLine = { readonly stream: 'stdout' | 'stderr'; readonly line: string };
export type ProgressUpdate = { readonly percent?: number; readonly message?: string; readonly logs?: readonly LogLine[] };
export type TaskError = { readonly code: string; readonly message: string };

/** A non-2xx answer Bosun gave in its typed error body (or without one). */
export class BosunApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null,
  ) {
    super(`${method} ${path} answered ${status} ${code}: ${message}`);
    this.name = 'BosunApiError';
  }
}

export const isApiError = (error: unknown, status: number): error is BosunApiError => error instanceof BosunApiError && error.status === status;

type Call = { readonly method?: 'GET' | 'POST'; readonly body?: unknown; readonly signal?: AbortSignal; readonly timeoutMs?: number };
type Answer = { readonly status: number; readonly body: unknown };

/** A field of a JSON object answered, if the value is one. */
const field = (value: unknown, name: string): unknown => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined);

const defaultTimeoutMs = 30_000;

/** fetch rejects with a TypeError when the connection fails or breaks, and with the timeout's reason when a try takes too long. */
const isUnreachable = (error: unknown): boolean => error instanceof TypeError || (error instanceof DOMException && error.name === 'TimeoutError');

export class BosunClient {
  private credential: string | null = null;
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly logger: Logger,
    private readonly retry: RetryPolicy = defaultRetryPolicy,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  useCredential(credential: string): void {
    this.credential = credential;
  }

  async register(registrationToken: string, hostname: string, signal?: AbortSignal): Promise<Registration> {
    const answer = await this.request('/register', { body: { registration_token: registrationToken, agent_version: agentVersion, hostname }, signal });
    return answer.body as Registration;
  }

  async heartbeat(report: HeartbeatReport, signal?: AbortSignal): Promise<HeartbeatAnswer> {
    const answer = await this.request('/heartbeat', { body: report, signal });
    return answer.body as HeartbeatAnswer;
  }

  /** The next task queued for this instance, or null when none came within `waitSeconds`. */
  async claim(waitSeconds: number, signal?: AbortSignal): Promise<ClaimedTask | null> {
    const answer = await this.request(`/tasks/claim?wait_seconds=${waitSeconds}`, { signal, timeoutMs: (waitSeconds + 10) * 1000 });
    if (answer.status === 204) return null;
    const task = field(answer.body, 'task');
    if (typeof field(task, 'id') !== 'string' || typeof field(task, 'kind') !== 'string') throw new Error(`claim answered ${answer.status} without a task`);
    return task as ClaimedTask;
  }

  async ack(taskId: string): Promise<void> {
    await this.request(`/tasks/${encodeURIComponent(taskId)}/ack`, {});
  }

  /** Whether Bosun asks the agent to stop the task. */
  async progress(taskId: string, update: ProgressUpdate): Promise<boolean> {
    const answer = await this.request(`/tasks/${encodeURIComponent(taskId)}/progress`, { body: update });
    return field(answer.body, 'cancel_requested') === true;
  }

  async complete(taskId: string, outputs: Record<string, unknown>): Promise<void> {
    await this.request(`/tasks/${encodeURIComponent(taskId)}/complete`, { body: { outputs } });
  }

  async fail(taskId: string, error: TaskError, retryable: boolean): Promise<void> {
    await this.request(`/tasks/${encodeURIComponent(taskId)}/fail`, { body: { error, retryable } });
  }

  /** The desired value of one of this instance's settings (secret ones included); rejects with a 404 BosunApiError when the spec has none. */
  async desiredSetting(name: string): Promise<unknown> {
    const answer = await this.request(`/settings/${encodeURIComponent(name)}`, { method: 'GET' });
    return field(answer.body, 'value');
  }

  /** One logical call: every try carries the same Idempotency-Key, so a retry after a lost answer is safe. */
  private async request(path: string, call: Call): Promise<Answer> {
    const idempotencyKey = randomUUID();
    for (let attempt = 1; ; attempt++) {
      let waitMs: number;
      try {
        const answer = await this.send(path, call, idempotencyKey);
        if (answer.status < 400) return answer;
        const error = this.apiError(call.method ?? 'POST', path, answer);
        if (!isTransientStatus(answer.status) || attempt >= this.retry.attempts) throw error;
        waitMs = retryAfterMs(answer.retryAfter) ?? backoffDelayMs(this.retry, attempt - 1);
        this.logger.warn({ path, attempt, status: answer.status, request_id: error.requestId, wait_ms: Math.round(waitMs) }, 'Bosun call failed; retrying');
      } catch (error) {
        if (!isUnreachable(error) || call.signal?.aborted || attempt >= this.retry.attempts) throw error;
        waitMs = backoffDelayMs(this.retry, attempt - 1);
        this.logger.warn({ path, attempt, err: error, wait_ms: Math.round(waitMs) }, 'Bosun unreachable; retrying');
      }
      await sleep(waitMs, undefined, call.signal ? { signal: call.signal } : {});
    }
  }

  private async send(path: string, call: Call, idempotencyKey: string): Promise<Answer & { retryAfter: string | null }> {
    const headers: Record<string, string> = { 'idempotency-key': idempotencyKey, 'user-agent': `bosun-agent/${agentVersion}` };
    if (this.credential !== null) headers.authorization = `Bearer ${this.credential}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(call.timeoutMs ?? defaultTimeoutMs);
    const response = await fetch(`${this.baseUrl}/api/v1/agent${path}`, {
      method: call.method ?? 'POST',
      headers,
      signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
    });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      if (response.ok) throw new Error(`${call.method ?? 'POST'} ${path} answered ${response.status} with a body that is not JSON`);
    }
    return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
  }

  private apiError(method: string, path: string, answer: Answer): BosunApiError {
    const error = field(answer.body, 'error');
    const text = (value: unknown, fallback: string) => (typeof value === 'string' ? value : fallback);
    return new BosunApiError(
      method,
      path,
      answer.status,
      text(field(error, 'code'), 'unknown'),
      text(field(error, 'message'), 'no error body'),
      text(field(error, 'request_id'), '') || null,
    );
  }
}
