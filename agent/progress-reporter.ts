import type { Logger } from 'pino';
import { isApiError, type BosunClient, type LogLine } from './client.js';

const maxLinesPerCall = 100;
const maxLineLength = 4096;
/** Lines are gathered this long so a chatty process costs a call per batch, not per line. */
const batchDelayMs = 200;
/** Beyond this a task's output is kept in its outputs only, not streamed. */
const maxStreamedLines = 10_000;

/** Streams a task's output lines to Bosun as progress logs, in order and in batches. */
export class ProgressReporter {
  private pending: LogLine[] = [];
  private streamed = 0;
  private dropped = false;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: BosunClient,
    private readonly taskId: string,
    /** Bosun asked to stop the task, or no longer holds it as running here. */
    private readonly onStopRequested: () => void,
    private readonly logger: Logger,
  ) {}

  readonly log = (stream: LogLine['stream'], line: string): void => {
    if (this.dropped || this.streamed > maxStreamedLines) return;
    this.streamed++;
    this.pending.push({ stream, line: this.streamed > maxStreamedLines ? '[bosun agent: further output is not streamed]' : line.slice(0, maxLineLength) });
    if (this.pending.length >= maxLinesPerCall) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), batchDelayMs);
  };

  /** Sends every pending line; resolves once everything logged so far was sent (or given up on). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0) {
      const logs = this.pending.splice(0, maxLinesPerCall);
      this.sending = this.sending.then(() => this.send(logs));
    }
    return this.sending;
  }

  /** The task was cancelled: nothing more is reported for it. */
  drop(): void {
    this.dropped = true;
    this.pending = [];
    clearTimeout(this.timer);
  }

  private async send(logs: LogLine[]): Promise<void> {
    if (this.dropped) return;
    try {
      if (await this.client.progress(this.taskId, { logs })) this.onStopRequested();
    } catch (error) {
      if (isApiError(error, 409)) this.onStopRequested();
      else this.logger.warn({ err: error, task_id: this.taskId, lines: logs.length }, 'progress not delivered; its log lines are lost');
    }
  }
}
