/** One autocannon window's figures, and the median of several: what the HTTP benchmarks report. */
import type autocannon from 'autocannon';
import { median } from './statistics.js';

export type Window = { readonly requests_per_s: number; readonly p50_ms: number; readonly p99_ms: number; readonly failures: number };

export const windowOf = (result: autocannon.Result): Window => ({
  requests_per_s: Math.round(result.requests.average),
  p50_ms: result.latency.p50,
  p99_ms: result.latency.p99,
  failures: result.non2xx + result.errors + result.timeouts,
});

export const summarise = (windows: readonly Window[]) => ({
  requests_per_s: Math.round(median(windows.map((w) => w.requests_per_s))),
  p50_ms: median(windows.map((w) => w.p50_ms)),
  p99_ms: median(windows.map((w) => w.p99_ms)),
  worst_p99_ms: Math.max(...windows.map((w) => w.p99_ms)),
  failures: windows.reduce((sum, w) => sum + w.failures, 0),
});

/** The median over paired windows of a/b: on a shared machine whose speed drifts, only neighbouring windows compare. */
export const pairedRatio = (a: readonly Window[], b: readonly Window[]): number =>
  Number(median(a.map((w, i) => w.requests_per_s / (b[i] as Window).requests_per_s)).toFixed(2));
