import semver from 'semver';
import { isSecretSetting, type Severity } from '../drift/compare.js';

/** What Bosun knows of an instance that bears on its security. */
export type SecurityInputs = {
  /** Drift neither resolved nor dismissed, counted by severity. */
  readonly openDrift: Readonly<Record<Severity, number>>;
  /** `settings.allow_shell` is true: the agent runs shell commands it is sent. */
  readonly shellAllowed: boolean;
  /** The runtime the instance runs (its agent's report, else its spec), if known. */
  readonly runtimeVersion: string | null;
  /** The newest runtime among the team's instances. */
  readonly teamNewestRuntime: string | null;
  /** Heartbeat intervals missed in a row (0 while it beats); null when it is not expected to beat. */
  readonly missedHeartbeats: number | null;
  /** Paths of settings whose names do not look secret but whose values look like credentials, so they are kept in the clear. */
  readonly plainSecrets: readonly string[];
};

export type SecurityReason = { readonly code: string; readonly message: string; readonly penalty: number };
export type SecurityScore = { readonly score: number; readonly grade: 'A' | 'B' | 'C' | 'D' | 'F'; readonly reasons: readonly SecurityReason[] };

/**
 * Penalties out of 100. Open critical drift weighs most: it is a known deviation from the
 * spec the team approved. Each kind is capped so one kind cannot hide the others.
 */
const driftPenalty: Readonly<Record<Severity, number>> = { critical: 25, high: 15, medium: 5, low: 2 };
const driftCap = 50;
const shellPenalty = 15;
const runtimePenalty = { major: 20, minor: 10, patch: 5 } as const;
const plainSecretPenalty = 20;
const plainSecretCap = 40;

const gradeOf = (score: number): SecurityScore['grade'] => (score >= 90 ? 'A' : score >= 75 ? 'B' : score >= 60 ? 'C' : score >= 40 ? 'D' : 'F');

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const runtimeReason = (running: string | null, newest: string | null): SecurityReason | null => {
  const have = running === null ? null : semver.coerce(running);
  const want = newest === null ? null : semver.coerce(newest);
  if (!have || !want || !semver.lt(have, want)) return null;
  const behind = semver.diff(have, want);
  const level = behind === 'major' || behind === 'premajor' ? 'major' : behind === 'minor' || behind === 'preminor' ? 'minor' : 'patch';
  return {
    code: 'runtime_behind',
    message: `runtime ${running} is a ${level} version behind the team's newest, ${newest}`,
    penalty: runtimePenalty[level],
  };
};

const heartbeatReason = (missed: number | null): SecurityReason | null => {
  if (missed === null || missed < 1) return null;
  return { code: 'missed_heartbeats', message: `${plural(missed, 'heartbeat')} missed in a row`, penalty: missed >= 3 ? 15 : 5 };
};

/** A score from 0 (worst) to 100 with each deduction's reason, worst first. */
export const securityScore = (inputs: SecurityInputs): SecurityScore => {
  const reasons: SecurityReason[] = [];
  let driftTotal = 0;
  for (const severity of ['critical', 'high', 'medium', 'low'] as const) {
    const open = inputs.openDrift[severity];
    if (open === 0) continue;
    const penalty = Math.min(open * driftPenalty[severity], driftCap - driftTotal);
    driftTotal += penalty;
    reasons.push({ code: `open_drift_${severity}`, message: `${plural(open, `open ${severity} drift event`)}`, penalty });
  }
  if (inputs.shellAllowed) reasons.push({ code: 'shell_allowed', message: 'settings.allow_shell lets tasks run shell commands', penalty: shellPenalty });
  const runtime = runtimeReason(inputs.runtimeVersion, inputs.teamNewestRuntime);
  if (runtime) reasons.push(runtime);
  const heartbeat = heartbeatReason(inputs.missedHeartbeats);
  if (heartbeat) reasons.push(heartbeat);
  if (inputs.plainSecrets.length > 0) {
    reasons.push({
      code: 'plain_secrets',
      message: `what looks like a credential is stored in the clear in ${inputs.plainSecrets.join(', ')}: put it under a name containing token, password, secret, key or credential to have it sealed`,
      penalty: Math.min(inputs.plainSecrets.length * plainSecretPenalty, plainSecretCap),
    });
  }
  reasons.sort((a, b) => b.penalty - a.penalty);
  const score = Math.max(0, 100 - reasons.reduce((sum, reason) => sum + reason.penalty, 0));
  return { score, grade: gradeOf(score), reasons };
};

/**
 * Values shaped like the credentials of common providers, or long random-looking tokens:
 * what a secret scanner would flag.
 */
const credentialShapes = [
  /^(sk|pk|rk)-[A-Za-z0-9_-]{16,}$/, // OpenAI, Anthropic, Stripe style
  /^gh[pousr]_[A-Za-z0-9]{30,}$/, // GitHub tokens
  /^(AKIA|ASIA)[A-Z0-9]{16}$/, // AWS access key ids
  /^xox[abprs]-[A-Za-z0-9-]{10,}$/, // Slack tokens
  /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, // JWTs
  /^-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

const entropyBitsPerChar = (value: string): number => {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) bits -= (count / value.length) * Math.log2(count / value.length);
  return bits;
};

/** A long single-word string that is random-looking (no spaces, mixed classes, high entropy). */
const looksRandom = (value: string): boolean =>
  value.length >= 32 && !/\s/.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value) && !/^[a-z]+:\/\//.test(value) && entropyBitsPerChar(value) >= 4;

export const looksLikeCredential = (value: string): boolean => credentialShapes.some((shape) => shape.test(value)) || looksRandom(value);

/**
 * Setting paths, at any depth, whose names Bosun does not seal (see isSecretSetting) but
 * whose values look like credentials. Sealed ones are skipped: they are safe however they look.
 */
export const plainSecretPaths = (settings: Readonly<Record<string, unknown>>): string[] => {
  const found: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (looksLikeCredential(value)) found.push(path);
    } else if (Array.isArray(value)) {
      value.forEach((inner, index) => walk(inner, `${path}[${index}]`));
    } else if (value !== null && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) if (!isSecretSetting(name)) walk(inner, `${path}.${name}`);
    }
  };
  for (const [name, value] of Object.entries(settings)) if (!isSecretSetting(name)) walk(value, `settings.${name}`);
  return found;
};
