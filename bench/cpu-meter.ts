/**
 * CPU time of each part of a benchmarked system over a phase, and of the rest of the
 * machine: what tells a run bound by one process's CPU from one starved by a neighbour.
 * Read from /proc, so Linux only; elsewhere every figure is null.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ), 100 on every Linux architecture Node runs on. */
const msPerTick = 10;

/** CPU ms a process has used (user + system, all its threads); 0 once it is gone. */
const processCpuMs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * msPerTick;
  } catch {
    return 0;
  }
};

/** CPU ms all cores spent busy (neither idle nor waiting for I/O) since boot. */
const machineBusyMs = (): number | null => {
  try {
    const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
    return (user + nice + system + irq + softirq + steal) * msPerTick;
  } catch {
    return null;
  }
};

type CpuSample = { readonly at: number; readonly parts: Readonly<Record<string, number>>; readonly machine: number | null };

/** CPU ms each part used over a span of `wallMs`; `others` is the rest of the machine. Null without /proc. */
export type CpuSpan = { readonly wallMs: number; readonly used: Readonly<Record<string, number>> | null };

export type CpuUse = {
  /** CPU ms of each part per unit of work (task, workflow). */
  readonly ms_per_unit: Readonly<Record<string, number>>;
  /** Cores each part kept busy on average. */
  readonly cores: Readonly<Record<string, number>>;
} | null;

/** `parts` names groups of pids; `bench` is added: this process, through process.cpuUsage. */
export const cpuMeter = (parts: Readonly<Record<string, () => readonly number[]>>) => {
  const sample = (): CpuSample => {
    const self = process.cpuUsage();
    return {
      at: performance.now(),
      parts: {
        ...Object.fromEntries(Object.entries(parts).map(([name, pids]) => [name, pids().reduce((sum, pid) => sum + processCpuMs(pid), 0)])),
        bench: (self.user + self.system) / 1000,
      },
      machine: machineBusyMs(),
    };
  };

  const since = (before: CpuSample): CpuSpan => {
    const now = sample();
    const wallMs = now.at - before.at;
    if (now.machine === null || before.machine === null) return { wallMs, used: null };
    const used = Object.fromEntries(Object.entries(now.parts).map(([name, ms]) => [name, ms - (before.parts[name] ?? 0)]));
    const ours = Object.values(used).reduce((sum, ms) => sum + ms, 0);
    return { wallMs, used: { ...used, others: Math.max(0, now.machine - before.machine - ours) } };
  };

  return { sample, since };
};

/** The CPU use of several spans taken together, over `units` of work done in them. */
export const cpuUse = (spans: readonly CpuSpan[], units: number): CpuUse => {
  if (spans.some((span) => span.used === null)) return null;
  const wallMs = spans.reduce((sum, span) => sum + span.wallMs, 0);
  const used: Record<string, number> = {};
  for (const span of spans) for (const [name, ms] of Object.entries(span.used ?? {})) used[name] = (used[name] ?? 0) + ms;
  const round = (value: number) => Number(value.toFixed(2));
  const ours = Object.entries(used).filter(([name]) => name !== 'others');
  return {
    ms_per_unit: Object.fromEntries(ours.map(([name, ms]) => [name, round(ms / Math.max(1, units))])),
    cores: Object.fromEntries(Object.entries(used).map(([name, ms]) => [name, round(ms / wallMs)])),
  };
};
