import type { InstanceSpec } from '../instance/events.js';

export const severities = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof severities)[number];

/** What an agent reports of its actual configuration. */
export type ConfigurationSnapshot = {
  readonly provider: string;
  readonly runtime_version: string | null;
  /** `parameters`, when reported, are those the skill is configured with; absent reads as none. */
  readonly skills: readonly {
    readonly name: string;
    readonly version: string;
    readonly enabled: boolean;
    readonly parameters?: Readonly<Record<string, unknown>>;
  }[];
  readonly settings: Readonly<Record<string, unknown>>;
  readonly resources: {
    readonly cpus: number | null;
    readonly memory_mb: number | null;
    readonly open_ports: readonly number[];
    readonly region: string | null;
  };
};

export type DriftKind =
  | 'provider_mismatch'
  | 'skill_missing'
  | 'skill_version_mismatch'
  | 'skill_parameters_mismatch'
  | 'skill_undeclared'
  | 'skill_enabled_but_disabled'
  | 'runtime_version_mismatch'
  | 'setting_missing'
  | 'setting_mismatch'
  | 'cpus_below'
  | 'memory_below'
  | 'port_closed'
  | 'region_mismatch';

/**
 * One difference between desired and actual. `expected`/`actual` are null for settings
 * whose names look secret: only the fact that they differ is kept.
 */
export type DriftItem = {
  readonly kind: DriftKind;
  /** What differs: `skills.git`, `settings.timeout`, `resources.cpus`... */
  readonly path: string;
  readonly severity: Severity;
  readonly expected: unknown;
  readonly actual: unknown;
};

/** The field's common practice: these names hold credentials. */
const secretName = /token|password|passwd|secret|key|credential/i;
export const isSecretSetting = (name: string): boolean => secretName.test(name);

const item = (kind: DriftKind, path: string, severity: Severity, expected: unknown, actual: unknown): DriftItem => ({ kind, path, severity, expected, actual });

/** Canonical JSON, so settings compare by value whatever their key order. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );

const compareSkills = (desired: InstanceSpec, actual: ConfigurationSnapshot): DriftItem[] => {
  const items: DriftItem[] = [];
  const reported = new Map(actual.skills.map((skill) => [skill.name, skill]));
  for (const skill of desired.skills) {
    const found = reported.get(skill.name);
    const path = `skills.${skill.name}`;
    if (skill.enabled === false) {
      if (found?.enabled) items.push(item('skill_enabled_but_disabled', path, 'low', { enabled: false }, { enabled: true }));
      continue;
    }
    if (!found || !found.enabled) items.push(item('skill_missing', path, 'high', skill.version, found ? 'disabled' : null));
    else if (found.version !== skill.version) items.push(item('skill_version_mismatch', path, 'medium', skill.version, found.version));
    // Checked whatever the version: installing the skill anew does not by itself configure it.
    const want = skill.parameters ?? {};
    const have = found?.parameters ?? {};
    if (canonical(want) !== canonical(have)) items.push(item('skill_parameters_mismatch', path, 'medium', want, have));
  }
  const declared = new Set(desired.skills.map((skill) => skill.name));
  for (const skill of actual.skills) {
    if (!declared.has(skill.name) && skill.enabled) items.push(item('skill_undeclared', `skills.${skill.name}`, 'low', null, skill.version));
  }
  return items;
};

const compareSettings = (desired: InstanceSpec, actual: ConfigurationSnapshot): DriftItem[] => {
  const items: DriftItem[] = [];
  for (const [name, value] of Object.entries(desired.settings)) {
    const path = `settings.${name}`;
    const secret = isSecretSetting(name);
    if (!(name in actual.settings)) items.push(item('setting_missing', path, 'high', secret ? null : value, null));
    else if (canonical(actual.settings[name]) !== canonical(value)) {
      items.push(item('setting_mismatch', path, 'medium', secret ? null : value, secret ? null : actual.settings[name]));
    }
  }
  return items;
};

const compareResources = (desired: InstanceSpec, actual: ConfigurationSnapshot): DriftItem[] => {
  const items: DriftItem[] = [];
  const want = desired.resources;
  const have = actual.resources;
  if (want.cpus !== null && (have.cpus ?? 0) < want.cpus) items.push(item('cpus_below', 'resources.cpus', 'high', want.cpus, have.cpus));
  if (want.memory_mb !== null && (have.memory_mb ?? 0) < want.memory_mb) {
    items.push(item('memory_below', 'resources.memory_mb', 'medium', want.memory_mb, have.memory_mb));
  }
  for (const port of want.ports) {
    if (!have.open_ports.includes(port)) items.push(item('port_closed', `resources.ports.${port}`, 'high', 'open', 'closed'));
  }
  if (want.region !== null && have.region !== want.region) items.push(item('region_mismatch', 'resources.region', 'high', want.region, have.region));
  return items;
};

/**
 * Every way the reported configuration differs from the desired spec, in a stable
 * order, with the severities of DESIGN.md. Empty when there is no drift.
 */
export const compareConfiguration = (desired: InstanceSpec, provider: string, actual: ConfigurationSnapshot): DriftItem[] => [
  ...(actual.provider !== provider ? [item('provider_mismatch', 'provider', 'critical', provider, actual.provider)] : []),
  ...compareSkills(desired, actual),
  ...(desired.runtime_version !== null && actual.runtime_version !== desired.runtime_version
    ? [item('runtime_version_mismatch', 'runtime_version', 'medium', desired.runtime_version, actual.runtime_version)]
    : []),
  ...compareSettings(desired, actual),
  ...compareResources(desired, actual),
];

/** The drift's severity is its worst item's. */
export const overallSeverity = (items: readonly DriftItem[]): Severity | null =>
  items.reduce<Severity | null>((worst, { severity }) => (worst === null || severities.indexOf(severity) > severities.indexOf(worst) ? severity : worst), null);

/**
 * Identifies a set of differences, so a repeated snapshot with the same drift is
 * recognised and does not open a new drift event.
 */
export const driftFingerprint = (items: readonly DriftItem[]): string =>
  canonical(
    [...items].map(({ kind, path, expected, actual }) => ({ kind, path, expected, actual })).sort((a, b) => (a.path + a.kind).localeCompare(b.path + b.kind)),
  );
