import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { configuredSettings, readAgentConfig } from '../configuration.js';
import { inputObject, invalidInput, requireString, TaskFailure } from '../task-failure.js';
import type { TaskKind } from '../task-kinds.js';

const defaultTimeoutSeconds = 300;
const outputCapBytes = 2 ** 20;
/** How long a process group has to exit after SIGTERM before it gets SIGKILL. */
const killGraceMs = 2000;

/** Keeps the first 1 MiB of a stream and hands on each complete line of it as it arrives. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private partialLine = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const kept = chunk.subarray(0, outputCapBytes - this.size);
    if (kept.length === 0) return;
    this.chunks.push(kept);
    this.size += kept.length;
    const lines = (this.partialLine + this.decoder.write(kept)).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) this.onLine(line);
  }

  end(): string {
    const rest = this.partialLine + this.decoder.end();
    if (rest) this.onLine(rest);
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const parseInput = (input: unknown): { command: string; args: string[] } => {
  const fields = inputObject(input);
  const command = requireString(fields, 'command');
  const args = fields.args ?? [];
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string')) throw invalidInput('args must be an array of strings');
  return { command, args };
};

/**
 * Runs `command` with `args` directly, never through a shell, in its own process group so
 * cancelling or timing out stops whatever it started too. Only where `allow_shell` is true.
 */
export const shell: TaskKind = async (input, { signal, timeoutSeconds, dir, log }) => {
  const { command, args } = parseInput(input);
  if (configuredSettings(await readAgentConfig(dir)).allow_shell !== true) {
    throw new TaskFailure('shell_not_allowed', 'shell tasks run only when settings.allow_shell is true in agent-config.json', false);
  }
  signal.throwIfAborted();
  const { BOSUN_REGISTRATION_TOKEN: _enrolmentToken, ...env } = process.env;
  const child = spawn(command, args, { cwd: dir, env, shell: false, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout = new CappedOutput((line) => log('stdout', line));
  const stderr = new CappedOutput((line) => log('stderr', line));
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

  const limitSeconds = timeoutSeconds ?? defaultTimeoutSeconds;
  let timedOut = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const killGroup = (killSignal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, killSignal);
    } catch {
      // The group is already gone.
    }
  };
  const stop = () => {
    killGroup('SIGTERM');
    graceTimer ??= setTimeout(() => killGroup('SIGKILL'), killGraceMs);
  };
  const timeoutTimer = setTimeout(() => {
    timedOut = true;
    stop();
  }, limitSeconds * 1000);
  signal.addEventListener('abort', stop, { once: true });

  try {
    const exit = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`cannot run "${command}": ${error.message}`)));
      child.once('close', (code) => resolve(code));
    });
    const output = { exit_code: exit, stdout: stdout.end(), stderr: stderr.end() };
    signal.throwIfAborted();
    if (timedOut) throw new Error(`"${command}" ran longer than ${limitSeconds} s and was stopped`);
    return output;
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(graceTimer);
    signal.removeEventListener('abort', stop);
  }
};
